#pragma once
// A umockdev testbed for one test: the recorded device trees under tests/udev/data
// become what libudev sees (this process and the smk processes it starts). The
// test binary runs under umockdev-wrapper (see tests/CMakeLists.txt); without its
// preload libudev would see the real machine, so that is a loud failure.

#include <doctest/doctest.h>
#include <umockdev.h>

#include <cstdlib>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace smk_test {

class Testbed final {
  public:
    explicit Testbed(std::initializer_list<const char*> records) {
        const char* preload = std::getenv("LD_PRELOAD");
        if (preload == nullptr || std::string(preload).find("umockdev") == std::string::npos) {
            FAIL(
                "not running under umockdev-wrapper (LD_PRELOAD has no libumockdev-preload): "
                "libudev would see the real machine; run through ctest or umockdev-wrapper");
        }
        m_bed = umockdev_testbed_new();
        REQUIRE(m_bed != nullptr);
        for (const char* record : records) {
            const std::string path = std::string(SMK_UDEV_DATA) + "/" + record;
            GError* error = nullptr;
            if (umockdev_testbed_add_from_file(m_bed, path.c_str(), &error) == FALSE) {
                const std::string why = error != nullptr ? error->message : "unknown error";
                if (error != nullptr) {
                    g_error_free(error);
                }
                FAIL("umockdev cannot load " << path << ": " << why);
            }
        }
    }
    ~Testbed() {
        if (m_bed != nullptr) {
            g_object_unref(m_bed);
        }
    }
    Testbed(const Testbed&) = delete;
    Testbed& operator=(const Testbed&) = delete;

    // Adds devices from the text of a umockdev record (e.g. a recorded tree edited to
    // stand for a device of this machine).
    void add_record_text(const std::string& text) {
        GError* error = nullptr;
        if (umockdev_testbed_add_from_string(m_bed, text.c_str(), &error) == FALSE) {
            const std::string why = error != nullptr ? error->message : "unknown error";
            if (error != nullptr) {
                g_error_free(error);
            }
            FAIL("umockdev cannot load the record: " << why);
        }
    }

    // The file behind a sysfs path of the testbed (for attributes the code writes).
    [[nodiscard]] std::string sys_file(const std::string& sys_path) const {
        gchar* root = umockdev_testbed_get_root_dir(m_bed);
        std::string file = std::string(root) + sys_path;
        g_free(root);
        return file;
    }

  private:
    UMockdevTestbed* m_bed = nullptr;
};

}  // namespace smk_test
