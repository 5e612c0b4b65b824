#pragma once
// Test support: waiting for something observable (a line on a child's stderr, a
// file, /proc state) instead of sleeping a fixed time. The limit is a hang guard
// only, generous for a loaded machine; no test asserts how fast anything is.

#include <chrono>
#include <functional>
#include <thread>

namespace smk_test {

// Polls `condition` every 2 ms; false if it still does not hold after `limit`.
inline bool wait_for(const std::function<bool()>& condition,
                     std::chrono::milliseconds limit = std::chrono::milliseconds(30000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return condition();
}

}  // namespace smk_test
