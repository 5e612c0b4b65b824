// Run-time choice of the mul_add kernel: CPUID once (via libgcc's
// __builtin_cpu_supports, which also checks that the OS saves the AVX/AVX-512
// register state), the fastest available path by default, force_path() for tests
// and benchmarks. A kernel is never called on a CPU that lacks its features.

#include <array>
#include <atomic>
#include <string>

#include "gf256.hpp"
#include "gf256_kernels.hpp"
#include "smk/error.hpp"

namespace smk::gf256 {
namespace {

using Kernel = void (*)(std::uint8_t*, const std::uint8_t*, std::size_t, std::uint8_t) noexcept;

constexpr std::array<Path, 6> kAllPaths{Path::portable, Path::ssse3,    Path::gfni_sse,
                                        Path::avx2,     Path::gfni_avx, Path::gfni};

constexpr std::size_t index_of(Path path) noexcept {
    return static_cast<std::size_t>(path);
}

struct Cpu {
    std::array<bool, kAllPaths.size()> available{};
    Path best = Path::portable;
};

Cpu detect() noexcept {
    Cpu cpu;
    cpu.available[index_of(Path::portable)] = true;
#if defined(SMK_GF256_X86)
    __builtin_cpu_init();
    const bool gfni = __builtin_cpu_supports("gfni") != 0;
    cpu.available[index_of(Path::ssse3)] = __builtin_cpu_supports("ssse3") != 0;
    cpu.available[index_of(Path::gfni_sse)] = gfni;
    cpu.available[index_of(Path::avx2)] = __builtin_cpu_supports("avx2") != 0;
    cpu.available[index_of(Path::gfni_avx)] = gfni && __builtin_cpu_supports("avx") != 0;
    cpu.available[index_of(Path::gfni)] =
        gfni && __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512bw") != 0;
#endif
    for (const Path p : kAllPaths) {  // kAllPaths is in order of preference
        if (cpu.available[index_of(p)]) {
            cpu.best = p;
        }
    }
    return cpu;
}

const Cpu& cpu() noexcept {
    static const Cpu detected = detect();
    return detected;
}

Kernel kernel_for(Path path) noexcept {
    switch (path) {
        case Path::portable:
            return kernels::mul_add_portable;
#if defined(SMK_GF256_X86)
        case Path::ssse3:
            return kernels::mul_add_ssse3;
        case Path::gfni_sse:
            return kernels::mul_add_gfni_sse;
        case Path::avx2:
            return kernels::mul_add_avx2;
        case Path::gfni_avx:
            return kernels::mul_add_gfni_avx;
        case Path::gfni:
            return kernels::mul_add_gfni_avx512;
#else
        default:
            return kernels::mul_add_portable;
#endif
    }
    return kernels::mul_add_portable;
}

constexpr int kNotForced = -1;
std::atomic<int> g_forced{kNotForced};

}  // namespace

std::string_view path_name(Path path) noexcept {
    switch (path) {
        case Path::portable:
            return "portable";
        case Path::ssse3:
            return "ssse3";
        case Path::gfni_sse:
            return "gfni-sse";
        case Path::avx2:
            return "avx2";
        case Path::gfni_avx:
            return "gfni-avx";
        case Path::gfni:
            return "gfni-avx512";
    }
    return "portable";
}

std::vector<Path> all_paths() {
    return {kAllPaths.begin(), kAllPaths.end()};
}

std::vector<Path> available_paths() {
    std::vector<Path> out;
    for (const Path p : kAllPaths) {
        if (path_available(p)) {
            out.push_back(p);
        }
    }
    return out;
}

bool path_available(Path path) noexcept {
    const std::size_t i = index_of(path);
    return i < kAllPaths.size() && cpu().available[i];
}

Path active_path() noexcept {
    const int forced = g_forced.load(std::memory_order_relaxed);
    return forced == kNotForced ? cpu().best : static_cast<Path>(forced);
}

void force_path(Path path) {
    if (!path_available(path)) {
        throw Error(ErrorCategory::usage, "GF(256) path '" + std::string(path_name(path)) +
                                              "' is not available on this CPU");
    }
    g_forced.store(static_cast<int>(path), std::memory_order_relaxed);
}

void reset_path() noexcept {
    g_forced.store(kNotForced, std::memory_order_relaxed);
}

// Secret: dst, src contents. Public: path, c, sizes. dst may equal src.
void mul_add_on(Path path, std::span<std::uint8_t> dst, std::span<const std::uint8_t> src,
                std::uint8_t c) noexcept {
    const Kernel k = path_available(path) ? kernel_for(path) : kernels::mul_add_portable;
    // Sizes are documented to match; never touch more than both hold.
    const std::size_t n = dst.size() < src.size() ? dst.size() : src.size();
    if (n != 0) {
        k(dst.data(), src.data(), n, c);
    }
}

void mul_add(std::span<std::uint8_t> dst, std::span<const std::uint8_t> src,
             std::uint8_t c) noexcept {
    mul_add_on(active_path(), dst, src, c);
}

}  // namespace smk::gf256
