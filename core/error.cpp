#include "smk/error.hpp"

namespace smk {

int exit_code(ErrorCategory category) noexcept {
    switch (category) {
        case ErrorCategory::usage:
            return 2;
        case ErrorCategory::invalid_input:
            return 3;
        case ErrorCategory::insufficient:
            return 4;
        case ErrorCategory::verification:
            return 5;
        case ErrorCategory::io:
            return 6;
        case ErrorCategory::refused:
            return 7;
        case ErrorCategory::device:
            return 8;
        case ErrorCategory::interrupted:
            return 130;  // the shell's 128 + SIGINT
        case ErrorCategory::internal:
            return 70;
    }
    return 70;
}

std::string_view category_name(ErrorCategory category) noexcept {
    switch (category) {
        case ErrorCategory::usage:
            return "usage";
        case ErrorCategory::invalid_input:
            return "invalid input";
        case ErrorCategory::insufficient:
            return "cannot recover";
        case ErrorCategory::verification:
            return "verification failed";
        case ErrorCategory::io:
            return "I/O error";
        case ErrorCategory::refused:
            return "refused";
        case ErrorCategory::device:
            return "device error";
        case ErrorCategory::interrupted:
            return "interrupted";
        case ErrorCategory::internal:
            return "internal error";
    }
    return "internal error";
}

}  // namespace smk
