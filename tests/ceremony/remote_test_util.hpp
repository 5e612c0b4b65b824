#pragma once
// Helpers of the remote-holder restore tests (test_remote_restore*.cpp): the rig's
// plan issued in process, a holder sealing the share on their card with
// `smk transport seal` (their own machine), and the restore's transcript lines.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ceremony/ceremony_rig.hpp"
#include "ceremony/ceremony_test_util.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/transport.hpp"

namespace smk_test::remote {

namespace cer = smk::ceremony;
namespace transport = smk::transport;

// Batch options for the rig's plan (every PIN from a file: a prompt fails the test).
inline cer::CeremonyOptions batch_options(const std::string& plan) {
    cer::CeremonyOptions options;
    options.plan = plan;
    options.card_mode = cer::CardMode::batch;
    options.ask_pin = [](std::string_view who) -> smk::Secret {
        FAIL("no PIN prompt in this test: " << who);
        return {};
    };
    return options;
}

// The rig's plan issued in process; the issued plan's path.
inline std::string issue(CeremonyRig& rig) {
    cer::CeremonyOptions options = batch_options(rig.plan());
    options.plan_out = rig.path("issued.toml");
    CapturedOutput output;
    cer::issue(options, output);
    return options.plan_out;
}

// Holder h's side, on their own machine: their set-A card (card h-1) read with their
// PIN and its share sealed with `smk transport seal` to `key` for `context`.
inline std::string seal_card_of(CeremonyRig& rig, unsigned h, const transport::PublicKey& key,
                                const std::string& context) {
    const std::string to = rig.path("facility-key-of-holder-" + std::to_string(h) + ".txt");
    smk_test::spit(to, transport::facility_key_text(key));
    const RunResult sealed = run_smk({"transport", "seal", "--to", to, "--context", context,
                                      "--reader", rig.cards().reader(static_cast<int>(h) - 1),
                                      "--pin-file", rig.holder_pin(static_cast<int>(h))});
    INFO("seal stderr: " << sealed.err);
    REQUIRE(sealed.exit_code == 0);
    return sealed.out;
}

// The transcript lines of the last restore that are step `step`.
inline std::vector<smk::transcript::Line> last_restore_steps(const std::string& transcript,
                                                             const std::string& step) {
    std::vector<smk::transcript::Line> found;
    for (const auto& line : smk::transcript::read_file(transcript)) {
        if (line.flow == "restore" && line.step == "start") {
            found.clear();
        }
        if (line.flow == "restore" && line.step == step) {
            found.push_back(line);
        }
    }
    return found;
}

inline std::string field(const smk::transcript::Fields& fields, const std::string& name) {
    for (const auto& [key, value] : fields) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

}  // namespace smk_test::remote
