#pragma once
// Fork/join on two cores for raw split and combine: the work of a streaming step
// (hashing and writing shares, drawing coefficients) is cut in two halves that
// run at once, one here and one on a helper thread. Internal to sss/.
//
// Each half must touch only its own outputs (its share files, hashes and
// buffers); both may read what neither writes. With one CPU, or if the thread
// cannot be started, the halves run one after the other here.

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace smk::raw {

class ForkJoin final {
  public:
    ForkJoin();
    ~ForkJoin();
    ForkJoin(const ForkJoin&) = delete;
    ForkJoin& operator=(const ForkJoin&) = delete;

    // Runs here() on this thread and there() on the helper, returns when both are
    // done, and then rethrows the first exception either threw (this thread's first).
    void run(const std::function<void()>& here, const std::function<void()>& there);

  private:
    void loop();

    std::mutex m_mutex;
    std::condition_variable m_cv;
    const std::function<void()>* m_job = nullptr;  // set while the helper has work
    bool m_done = false;
    bool m_stop = false;
    std::exception_ptr m_error;
    std::thread m_thread;  // not joinable: no helper, run sequentially
};

}  // namespace smk::raw
