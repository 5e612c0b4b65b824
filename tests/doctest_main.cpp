// doctest main for every suite, with one guard: CTest runs each test case as
// `suite --test-case=NAME`, and a name the discovery mangles (CMake splits names
// at ';') would match nothing and "pass" with zero cases run. Here a run that
// executes no test case fails instead, so no test can pass by not running.

#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

namespace {

int g_cases_started = 0;

struct CountingListener final : doctest::IReporter {
    explicit CountingListener(const doctest::ContextOptions& /*options*/) {}
    void report_query(const doctest::QueryData& /*data*/) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats& /*stats*/) override {}
    void test_case_start(const doctest::TestCaseData& /*data*/) override { ++g_cases_started; }
    void test_case_reenter(const doctest::TestCaseData& /*data*/) override {}
    void test_case_end(const doctest::CurrentTestCaseStats& /*stats*/) override {}
    void test_case_exception(const doctest::TestCaseException& /*exception*/) override {}
    void subcase_start(const doctest::SubcaseSignature& /*signature*/) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData& /*data*/) override {}
    void log_message(const doctest::MessageData& /*data*/) override {}
    void test_case_skipped(const doctest::TestCaseData& /*data*/) override {}
};

}  // namespace

DOCTEST_REGISTER_LISTENER("smk-count-cases", 1, CountingListener);

int main(int argc, char** argv) {
    doctest::Context context(argc, argv);
    const int result = context.run();
    if (context.shouldExit()) {  // --help, --version, --list-test-cases, ...
        return result;
    }
    if (result == 0 && g_cases_started == 0) {
        std::fprintf(stderr,
                     "no test case ran: the --test-case filter matched nothing (a test name "
                     "with ';' or an unescaped ',' is mangled by CTest discovery)\n");
        return 1;
    }
    return result;
}
