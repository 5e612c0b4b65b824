#pragma once
// Internal: what installing, wrapping and unwrapping keys share (smk/hsm.hpp):
// the one secret key of a label, its KCV computed inside the token, and
// removing what a failed step left behind.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkcs11_raw.hpp"
#include "smk/kcv.hpp"

namespace smk::hsm::detail {

using pkcs11::SessionImpl;

// "key \"LABEL\" on token \"T\" (serial S)".
[[nodiscard]] std::string key_name(const SessionImpl& session, std::string_view label);
// The one secret key labelled `label`; Error(usage) if there is none or several.
[[nodiscard]] CK_OBJECT_HANDLE one_key(SessionImpl& session, std::string_view label);
// Error(refused) naming the mechanism and `step` unless the token offers `mechanism`
// with all of `flags` (C_GetMechanismInfo): checked before anything is changed.
void require_mechanism(SessionImpl& session, CK_MECHANISM_TYPE mechanism, CK_FLAGS flags,
                       std::string_view name, std::string_view step);
// Every secret, private and public key object labelled `label`.
[[nodiscard]] std::vector<CK_OBJECT_HANDLE> find_keys_labelled(SessionImpl& session,
                                                               std::string_view label);
// C_Encrypt(CKM_AES_ECB, a zero block), first 3 bytes; nullopt (and the return
// value in `failure`, when given) if the token refuses.
[[nodiscard]] std::optional<Kcv> try_kcv(SessionImpl& session, CK_OBJECT_HANDLE key,
                                         CK_RV* failure);
// try_kcv or Error(device) naming the key.
[[nodiscard]] Kcv kcv_of(SessionImpl& session, CK_OBJECT_HANDLE key, std::string_view label);
// Destroys each object, ignoring failures (cleanup on an error path).
void destroy_quietly(SessionImpl& session, const std::vector<CK_OBJECT_HANDLE>& objects);

[[nodiscard]] inline std::string kcv_text(const Kcv& kcv) {
    return kcv_hex(kcv);
}

}  // namespace smk::hsm::detail
