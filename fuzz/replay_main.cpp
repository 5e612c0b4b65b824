// Replays inputs through a fuzz target without libFuzzer (the normal compiler and
// test suite): every file named, and every file in every directory named. Exit 0
// when every input ran (the target aborts or a sanitizer stops the process on a
// bug); exit 1 when no input was found, so an empty corpus cannot pass.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void replay(const std::filesystem::path& file) {
    const auto size = static_cast<std::size_t>(std::filesystem::file_size(file));
    // At least one byte allocated: an empty input still gets a valid (non-null)
    // pointer, as libFuzzer gives.
    std::vector<std::uint8_t> data(std::max<std::size_t>(size, 1));
    std::ifstream in(file, std::ios::binary);
    in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(size));
    if (static_cast<std::size_t>(in.gcount()) != size) {
        std::fprintf(stderr, "fuzz-replay: cannot read %s\n", file.c_str());
        std::exit(1);
    }
    (void)LLVMFuzzerTestOneInput(data.data(), size);
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path arg = argv[i];
        if (std::filesystem::is_directory(arg)) {
            for (const auto& entry : std::filesystem::recursive_directory_iterator(arg)) {
                if (entry.is_regular_file() && entry.path().filename() != "README.md") {
                    replay(entry.path());
                    ++count;
                }
            }
        } else if (std::filesystem::is_regular_file(arg)) {
            replay(arg);
            ++count;
        }
    }
    std::printf("fuzz-replay: %zu inputs ran\n", count);
    if (count == 0) {
        std::fprintf(stderr, "fuzz-replay: FAILED: no input found in the paths given\n");
        return 1;
    }
    return 0;
}
