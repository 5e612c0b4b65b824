#include "smk/process_hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include "smk/error.hpp"

namespace smk {

void disable_core_dumps() {
    const rlimit none{0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0) {
        throw Error(ErrorCategory::internal, "cannot disable core dumps (setrlimit RLIMIT_CORE)");
    }
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        throw Error(ErrorCategory::internal, "cannot disable core dumps (prctl PR_SET_DUMPABLE)");
    }
}

bool core_dumps_disabled() noexcept {
    rlimit current{};
    if (getrlimit(RLIMIT_CORE, &current) != 0) {
        return false;
    }
    return current.rlim_cur == 0 && current.rlim_max == 0 &&
           prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
}

}  // namespace smk
