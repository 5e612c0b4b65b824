// A PKCS#11 module for tests that stands for a token lacking mechanisms, or failing: it loads
// the module named by SMK_SHIM_MODULE (SoftHSM2) and hands out its function list
// with C_GetMechanismList and C_GetMechanismInfo filtered, so that the mechanisms
// listed in SMK_SHIM_HIDE (comma-separated hex codes, "0x210A,0x108A") are absent:
// not listed, and CKR_MECHANISM_INVALID from C_GetMechanismInfo. Everything else
// goes to the real module. SoftHSM2 2.6.1 ignores its own slots.mechanisms setting,
// so this is how a test shows smk refusing such a token before it writes anything.
// With SMK_SHIM_FAIL_UNWRAP=N, the process's Nth C_UnwrapKey fails with
// CKR_DEVICE_ERROR (a token failing part-way through a restore). With
// SMK_SHIM_NO_TRUSTED=1 it stands for a token that does not know CKA_TRUSTED: a
// template naming it is CKR_ATTRIBUTE_TYPE_INVALID. SMK_SHIM_NO_SO=1: C_Login as the SO
// is CKR_USER_TYPE_INVALID. SMK_SHIM_NO_COPY=1: C_CopyObject is CKR_FUNCTION_NOT_SUPPORTED.
// SMK_SHIM_NO_SET_WRAP_WITH_TRUSTED=1: C_SetAttributeValue of CKA_WRAP_WITH_TRUSTED is
// CKR_ATTRIBUTE_READ_ONLY (as SoftHSM2 2.6.1 answers; later versions set it).

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
unsigned long g_fail_unwrap = 0;  // 0: never
unsigned long g_unwraps = 0;
bool g_no_trusted = false;
bool g_no_so = false;
bool g_no_copy = false;
bool g_no_set_wrap_with_trusted = false;

bool env_on(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && std::string(value) == "1";
}

CK_RV login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG length) {
    if (g_no_so && user == CKU_SO) {
        return CKR_USER_TYPE_INVALID;
    }
    return g_real->C_Login(session, user, pin, length);
}

CK_RV copy_object(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR attributes,
                  CK_ULONG count, CK_OBJECT_HANDLE_PTR out) {
    if (g_no_copy) {
        return CKR_FUNCTION_NOT_SUPPORTED;
    }
    return g_real->C_CopyObject(session, object, attributes, count, out);
}

CK_RV set_attribute_value(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
                          CK_ATTRIBUTE_PTR attributes, CK_ULONG count) {
    for (CK_ULONG i = 0; g_no_set_wrap_with_trusted && i < count; ++i) {
        if (attributes[i].type == CKA_WRAP_WITH_TRUSTED) {
            return CKR_ATTRIBUTE_READ_ONLY;
        }
    }
    return g_real->C_SetAttributeValue(session, object, attributes, count);
}

bool names_trusted(CK_ATTRIBUTE_PTR attributes, CK_ULONG count) {
    for (CK_ULONG i = 0; i < count; ++i) {
        if (attributes[i].type == CKA_TRUSTED) {
            return true;
        }
    }
    return false;
}

CK_RV create_object(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR attributes, CK_ULONG count,
                    CK_OBJECT_HANDLE_PTR out) {
    if (g_no_trusted && names_trusted(attributes, count)) {
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
    return g_real->C_CreateObject(session, attributes, count, out);
}

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

CK_RV unwrap_key(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key,
                 CK_BYTE_PTR wrapped, CK_ULONG wrapped_len, CK_ATTRIBUTE_PTR attributes,
                 CK_ULONG count, CK_OBJECT_HANDLE_PTR out) {
    if (++g_unwraps == g_fail_unwrap) {
        return CKR_DEVICE_ERROR;
    }
    return g_real->C_UnwrapKey(session, mechanism, key, wrapped, wrapped_len, attributes, count,
                               out);
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
        const char* fail = std::getenv("SMK_SHIM_FAIL_UNWRAP");
        g_fail_unwrap = fail != nullptr ? std::strtoul(fail, nullptr, 10) : 0;
        g_no_trusted = env_on("SMK_SHIM_NO_TRUSTED");
        g_no_so = env_on("SMK_SHIM_NO_SO");
        g_no_copy = env_on("SMK_SHIM_NO_COPY");
        g_no_set_wrap_with_trusted = env_on("SMK_SHIM_NO_SET_WRAP_WITH_TRUSTED");
        g_shim = *g_real;
        g_shim.C_UnwrapKey = unwrap_key;
        g_shim.C_CreateObject = create_object;
        g_shim.C_Login = login;
        g_shim.C_CopyObject = copy_object;
        g_shim.C_SetAttributeValue = set_attribute_value;
        g_shim.C_GetMechanismList = mechanism_list;
        g_shim.C_GetMechanismInfo = mechanism_info;
        g_shim.C_GetFunctionList = C_GetFunctionList;
    }
    *out = &g_shim;
    return CKR_OK;
}
