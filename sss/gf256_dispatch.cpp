// Run-time choice of the mul_add kernel. Only the portable path exists so far;
// the x86 fast paths (GFNI, AVX2, SSSE3) plug in here.

#include <atomic>

#include "gf256.hpp"
#include "gf256_kernels.hpp"
#include "smk/error.hpp"

namespace smk::gf256 {
namespace {

std::atomic<Path> g_forced{Path::portable};

}  // namespace

std::string_view path_name(Path path) noexcept {
    switch (path) {
        case Path::portable: return "portable";
        case Path::ssse3: return "ssse3";
        case Path::avx2: return "avx2";
        case Path::gfni: return "gfni";
    }
    return "portable";
}

std::vector<Path> available_paths() { return {Path::portable}; }

Path active_path() noexcept { return g_forced.load(); }

void force_path(Path path) {
    for (const Path p : available_paths()) {
        if (p == path) {
            g_forced.store(path);
            return;
        }
    }
    throw Error(ErrorCategory::usage,
                "GF(256) path '" + std::string(path_name(path)) + "' is not available on this CPU");
}

void mul_add_on(Path path, std::span<std::uint8_t> dst, std::span<const std::uint8_t> src,
                std::uint8_t c) noexcept {
    (void)path;
    kernels::mul_add_portable(dst.data(), src.data(), dst.size(), c);
}

void mul_add(std::span<std::uint8_t> dst, std::span<const std::uint8_t> src,
             std::uint8_t c) noexcept {
    mul_add_on(active_path(), dst, src, c);
}

}  // namespace smk::gf256
