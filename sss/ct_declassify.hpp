#pragma once
// Declassification for the constant-time check (tests/ct, the ctgrind technique).
// The check marks secret bytes undefined for valgrind memcheck, which then reports
// every branch or memory index computed from them. A few values computed from
// secrets are public by design: a validity verdict the user is told anyway (the
// checksum failed, the digest did not verify, the rule a new card PIN breaks), the
// header fields of a share (ShareInfo), the number of words of a mnemonic, the
// length of its text. Each is declared public here, at the one line where it
// becomes public, so the check needs no suppression file and anything not declared
// stays checked.
//
// Outside the check's own builds of sss/ and of smartcard/pin_rules.cpp (which
// includes this header too; SMK_CT_VALIDATION, tests/ct/CMakeLists.txt)
// declassify() is the identity and compiles to nothing: the ceremony binary carries
// no valgrind client requests.

#include <type_traits>

#ifdef SMK_CT_VALIDATION
#include <valgrind/memcheck.h>
#endif

namespace smk::ct {

template <class T>
requires std::is_trivially_copyable_v<T>
[[nodiscard]] inline T declassify(T value) noexcept {
#ifdef SMK_CT_VALIDATION
    // The request's asm clobbers memory and takes &value, so `value` is reloaded
    // from the now-defined bytes.
    (void)VALGRIND_MAKE_MEM_DEFINED(&value, sizeof value);
#endif
    return value;
}

}  // namespace smk::ct
