#include "smk/random.hpp"

#include <sodium.h>

#include "smk/secret.hpp"

namespace smk {
namespace {

class SodiumRandom final : public RandomSource {
  public:
    void fill(std::span<std::uint8_t> out) override {
        if (!out.empty()) {
            randombytes_buf(out.data(), out.size());
        }
    }
};

}  // namespace

RandomSource& system_random() {
    crypto_init();
    static SodiumRandom source;
    return source;
}

}  // namespace smk
