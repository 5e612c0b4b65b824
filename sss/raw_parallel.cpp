#include "raw_parallel.hpp"

#include <system_error>

namespace smk::raw {

ForkJoin::ForkJoin() {
    if (std::thread::hardware_concurrency() < 2) {
        return;
    }
    try {
        m_thread = std::thread([this] { loop(); });
    } catch (const std::system_error&) {
        // No thread to be had: run() works sequentially.
    }
}

ForkJoin::~ForkJoin() {
    if (m_thread.joinable()) {
        {
            const std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        m_thread.join();
    }
}

void ForkJoin::loop() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_cv.wait(lock, [this] { return m_stop || m_job != nullptr; });
        if (m_stop) {
            return;
        }
        const std::function<void()>* job = m_job;
        lock.unlock();
        std::exception_ptr error;
        try {
            (*job)();
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        m_job = nullptr;
        m_error = error;
        m_done = true;
        m_cv.notify_all();
    }
}

void ForkJoin::run(const std::function<void()>& here, const std::function<void()>& there) {
    if (!m_thread.joinable()) {
        here();
        there();
        return;
    }
    {
        const std::lock_guard lock(m_mutex);
        m_job = &there;
        m_done = false;
        m_error = nullptr;
    }
    m_cv.notify_all();
    std::exception_ptr here_error;
    try {
        here();
    } catch (...) {
        here_error = std::current_exception();
    }
    // Always wait: `there` uses buffers that live in the caller's frame.
    std::exception_ptr there_error;
    {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [this] { return m_done; });
        there_error = m_error;
        m_error = nullptr;
    }
    if (here_error) {
        std::rethrow_exception(here_error);
    }
    if (there_error) {
        std::rethrow_exception(there_error);
    }
}

}  // namespace smk::raw
