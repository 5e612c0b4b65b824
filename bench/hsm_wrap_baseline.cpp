// The token's own time for C_WrapKey and C_UnwrapKey of an RSA-2048 private key
// under an AES-256 key with CKM_AES_KEY_WRAP_PAD: the floor under `smk hsm backup`
// and `restore-backup` per key (bench/hsm-keys.sh prints both). Raw PKCS#11 through
// the module's function list, none of smk's code. Rehearsal tokens only: the PIN is
// read from a file.
//
// Usage: smk_bench_hsm_wrap MODULE TOKEN_LABEL PIN_FILE COUNT
// Prints: "wrap_ms_per_key X" and "unwrap_ms_per_key Y".

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

CK_FUNCTION_LIST* f = nullptr;

void check(CK_RV rv, const char* what) {
    if (rv != CKR_OK) {
        std::fprintf(stderr, "smk_bench_hsm_wrap: %s failed: 0x%lx\n", what, rv);
        std::exit(1);
    }
}

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s MODULE TOKEN_LABEL PIN_FILE COUNT\n", argv[0]);
        return 2;
    }
    const std::string label = argv[2];
    std::string pin;
    std::getline(std::ifstream(argv[3]), pin);
    const int count = std::stoi(argv[4]);
    void* module = dlopen(argv[1], RTLD_NOW);
    if (module == nullptr) {
        std::fprintf(stderr, "smk_bench_hsm_wrap: cannot load %s\n", argv[1]);
        return 1;
    }
    auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(module, "C_GetFunctionList"));
    check(get(&f), "C_GetFunctionList");
    check(f->C_Initialize(nullptr), "C_Initialize");
    CK_ULONG slot_count = 0;
    check(f->C_GetSlotList(CK_TRUE, nullptr, &slot_count), "C_GetSlotList");
    std::vector<CK_SLOT_ID> slots(slot_count);
    check(f->C_GetSlotList(CK_TRUE, slots.data(), &slot_count), "C_GetSlotList");
    CK_SLOT_ID slot = 0;
    bool found = false;
    for (const CK_SLOT_ID candidate : slots) {
        CK_TOKEN_INFO info{};
        check(f->C_GetTokenInfo(candidate, &info), "C_GetTokenInfo");
        std::string name(reinterpret_cast<const char*>(info.label), sizeof info.label);
        name.erase(name.find_last_not_of(' ') + 1);
        if (name == label) {
            slot = candidate;
            found = true;
        }
    }
    if (!found) {
        std::fprintf(stderr, "smk_bench_hsm_wrap: no token labelled %s\n", label.c_str());
        return 1;
    }
    CK_SESSION_HANDLE session = 0;
    check(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session),
          "C_OpenSession");
    check(f->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin.data()), pin.size()),
          "C_Login");

    // Session objects: nothing is left on the token.
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    CK_ULONG aes_len = 32;
    CK_ATTRIBUTE aes_template[] = {{CKA_VALUE_LEN, &aes_len, sizeof aes_len},
                                   {CKA_TOKEN, &no, sizeof no},
                                   {CKA_WRAP, &yes, sizeof yes},
                                   {CKA_UNWRAP, &yes, sizeof yes}};
    CK_MECHANISM aes_gen{CKM_AES_KEY_GEN, nullptr, 0};
    CK_OBJECT_HANDLE wrapping = 0;
    check(f->C_GenerateKey(session, &aes_gen, aes_template, 4, &wrapping), "C_GenerateKey");
    CK_ULONG bits = 2048;
    CK_BYTE exponent[] = {1, 0, 1};
    CK_ATTRIBUTE public_template[] = {{CKA_TOKEN, &no, sizeof no},
                                      {CKA_MODULUS_BITS, &bits, sizeof bits},
                                      {CKA_PUBLIC_EXPONENT, exponent, sizeof exponent}};
    CK_ATTRIBUTE private_template[] = {{CKA_TOKEN, &no, sizeof no},
                                       {CKA_SENSITIVE, &yes, sizeof yes},
                                       {CKA_EXTRACTABLE, &yes, sizeof yes},
                                       {CKA_SIGN, &yes, sizeof yes}};
    CK_MECHANISM rsa_gen{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
    CK_OBJECT_HANDLE public_key = 0;
    CK_OBJECT_HANDLE private_key = 0;
    check(f->C_GenerateKeyPair(session, &rsa_gen, public_template, 3, private_template, 4,
                               &public_key, &private_key),
          "C_GenerateKeyPair");

    CK_MECHANISM wrap{0x210A /* CKM_AES_KEY_WRAP_PAD */, nullptr, 0};
    std::vector<CK_BYTE> wrapped(8192);
    CK_ULONG wrapped_len = 0;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
        wrapped_len = wrapped.size();
        check(f->C_WrapKey(session, &wrap, wrapping, private_key, wrapped.data(), &wrapped_len),
              "C_WrapKey");
    }
    const double wrap_ms = ms_since(start) / count;

    CK_OBJECT_CLASS private_class = CKO_PRIVATE_KEY;
    CK_KEY_TYPE rsa = CKK_RSA;
    CK_ATTRIBUTE unwrap_template[] = {{CKA_CLASS, &private_class, sizeof private_class},
                                      {CKA_KEY_TYPE, &rsa, sizeof rsa},
                                      {CKA_TOKEN, &no, sizeof no},
                                      {CKA_SENSITIVE, &yes, sizeof yes},
                                      {CKA_SIGN, &yes, sizeof yes}};
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
        CK_OBJECT_HANDLE restored = 0;
        check(f->C_UnwrapKey(session, &wrap, wrapping, wrapped.data(), wrapped_len, unwrap_template,
                             5, &restored),
              "C_UnwrapKey");
        check(f->C_DestroyObject(session, restored), "C_DestroyObject");
    }
    const double unwrap_ms = ms_since(start) / count;
    std::printf("wrap_ms_per_key %.3f\nunwrap_ms_per_key %.3f\n", wrap_ms, unwrap_ms);
    f->C_Logout(session);
    f->C_CloseSession(session);
    f->C_Finalize(nullptr);
    return 0;
}
