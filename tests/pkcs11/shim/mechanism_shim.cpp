// A PKCS#11 module for tests that stands for a token lacking mechanisms: it loads
// the module named by SMK_SHIM_MODULE (SoftHSM2) and hands out its function list
// with C_GetMechanismList and C_GetMechanismInfo filtered, so that the mechanisms
// listed in SMK_SHIM_HIDE (comma-separated hex codes, "0x210A,0x108A") are absent:
// not listed, and CKR_MECHANISM_INVALID from C_GetMechanismInfo. Everything else
// goes to the real module. SoftHSM2 2.6.1 ignores its own slots.mechanisms setting,
// so this is how a test shows smk refusing such a token before it writes anything.

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

CK_FUNCTION_LIST g_shim{};
CK_FUNCTION_LIST_PTR g_real = nullptr;
std::vector<CK_MECHANISM_TYPE> g_hidden;

bool hidden(CK_MECHANISM_TYPE type) {
    for (const CK_MECHANISM_TYPE h : g_hidden) {
        if (h == type) {
            return true;
        }
    }
    return false;
}

CK_RV mechanism_list(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count) {
    CK_ULONG n = 0;
    CK_RV rv = g_real->C_GetMechanismList(slot, nullptr, &n);
    if (rv != CKR_OK) {
        return rv;
    }
    std::vector<CK_MECHANISM_TYPE> all(n);
    rv = g_real->C_GetMechanismList(slot, all.data(), &n);
    if (rv != CKR_OK) {
        return rv;
    }
    all.resize(n);
    std::vector<CK_MECHANISM_TYPE> shown;
    for (const CK_MECHANISM_TYPE type : all) {
        if (!hidden(type)) {
            shown.push_back(type);
        }
    }
    if (list == nullptr) {
        *count = shown.size();
        return CKR_OK;
    }
    if (*count < shown.size()) {
        *count = shown.size();
        return CKR_BUFFER_TOO_SMALL;
    }
    std::memcpy(list, shown.data(), shown.size() * sizeof(CK_MECHANISM_TYPE));
    *count = shown.size();
    return CKR_OK;
}

CK_RV mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info) {
    if (hidden(type)) {
        return CKR_MECHANISM_INVALID;
    }
    return g_real->C_GetMechanismInfo(slot, type, info);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(
    CK_FUNCTION_LIST_PTR_PTR out) {
    if (out == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    if (g_real == nullptr) {
        const char* path = std::getenv("SMK_SHIM_MODULE");
        void* real = path != nullptr ? ::dlopen(path, RTLD_NOW | RTLD_LOCAL) : nullptr;
        auto* get = real != nullptr
                        ? reinterpret_cast<CK_C_GetFunctionList>(::dlsym(real, "C_GetFunctionList"))
                        : nullptr;
        if (get == nullptr || get(&g_real) != CKR_OK) {
            g_real = nullptr;
            return CKR_GENERAL_ERROR;
        }
        const char* hide = std::getenv("SMK_SHIM_HIDE");
        std::string codes = hide != nullptr ? hide : "";
        for (std::size_t at = 0; at < codes.size();) {
            const std::size_t end = codes.find(',', at);
            const std::string code = codes.substr(at, end - at);
            if (!code.empty()) {
                g_hidden.push_back(std::strtoul(code.c_str(), nullptr, 16));
            }
            at = end == std::string::npos ? codes.size() : end + 1;
        }
        g_shim = *g_real;
        g_shim.C_GetMechanismList = mechanism_list;
        g_shim.C_GetMechanismInfo = mechanism_info;
        g_shim.C_GetFunctionList = C_GetFunctionList;
    }
    *out = &g_shim;
    return CKR_OK;
}
