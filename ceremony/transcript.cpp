#include "smk/ceremony/transcript.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <iterator>
#include <nlohmann/json.hpp>

#include "smk/atomic_file.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/sha256.hpp"
#include "smk/text_file.hpp"

namespace smk::transcript {
namespace {

using Json = nlohmann::ordered_json;

Json fields_json(const Fields& fields) {
    Json object = Json::object();
    for (const auto& [key, value] : fields) {
        object[key] = value;
    }
    return object;
}

std::string value_text(const Json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string read_whole(const std::filesystem::path& file) {
    return read_text_file(file, "transcript", kMaxTranscriptBytes);
}

constexpr std::array<const char*, 9> kKeys = {"seq",     "time",    "flow", "step",  "items",
                                              "results", "digests", "prev", "sha256"};
constexpr std::string_view kSelfHashKey = ",\"sha256\":\"";
constexpr std::size_t kSelfHashSuffix = kSelfHashKey.size() + 64 + 2;  // ,"sha256":"HEX"}

// The line's own hash covers its bytes before ,"sha256":"...
std::string seal(std::string_view body_without_brace) {
    return std::string(body_without_brace) + std::string(kSelfHashKey) +
           sha256_hex(body_without_brace) + "\"}";
}

// Why `text` (line number `seq`, previous hash `prev`) is not a good line; "" if it is.
std::string check_line(std::string_view text, std::size_t seq, const std::string& prev, Line* out) {
    if (text.size() <= kSelfHashSuffix ||
        text.substr(text.size() - kSelfHashSuffix, kSelfHashKey.size()) != kSelfHashKey ||
        text.substr(text.size() - 2) != "\"}") {
        return "no \"sha256\" field at the end of the line";
    }
    const std::string_view body = text.substr(0, text.size() - kSelfHashSuffix);
    if (sha256_hex(body) != text.substr(text.size() - 66, 64)) {
        return "the line's own sha256 does not match its content (this line was edited)";
    }
    Json json;
    try {
        json = Json::parse(text);
    } catch (const Json::exception&) {
        return "not valid JSON";
    }
    if (!json.is_object()) {
        return "not a JSON object";
    }
    for (const char* key : kKeys) {
        if (!json.contains(key)) {
            return std::string("no \"") + key + "\" field";
        }
    }
    if (json.size() != kKeys.size()) {
        return "unexpected fields";
    }
    if (!json["seq"].is_number_unsigned() || json["seq"].get<std::size_t>() != seq) {
        return "seq is " + json["seq"].dump() + ", expected " + std::to_string(seq) +
               " (a line was removed, inserted or moved)";
    }
    for (const char* key : {"time", "flow", "step", "prev", "sha256"}) {
        if (!json[key].is_string()) {
            return std::string("\"") + key + "\" is not a string";
        }
    }
    for (const char* key : {"items", "results", "digests"}) {
        if (!json[key].is_object()) {
            return std::string("\"") + key + "\" is not an object";
        }
    }
    if (json["prev"].get<std::string>() != prev) {
        return "prev does not match the SHA-256 of line " + std::to_string(seq - 1) +
               (seq == 1 ? " (the genesis value)" : "") +
               " (this line or the one before was changed)";
    }
    if (out != nullptr) {
        out->seq = seq;
        out->time = json["time"].get<std::string>();
        out->flow = json["flow"].get<std::string>();
        out->step = json["step"].get<std::string>();
        out->prev = prev;
        for (const auto& [key, fields] :
             {std::pair{"items", &out->items}, std::pair{"results", &out->results},
              std::pair{"digests", &out->digests}}) {
            for (const auto& item : json[key].items()) {
                fields->emplace_back(item.key(), value_text(item.value()));
            }
        }
    }
    return {};
}

Verification verify_text(std::string_view text, std::vector<Line>* lines) {
    Verification result;
    result.last_hash = genesis_hash();
    std::size_t pos = 0;
    while (pos < text.size()) {
        ++result.lines;
        const std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            result.first_broken = result.lines;
            result.reason = "incomplete last line (no newline: the write was cut short)";
            return result;
        }
        const std::string_view line = text.substr(pos, end - pos);
        Line parsed;
        std::string why =
            check_line(line, result.lines, result.last_hash, lines != nullptr ? &parsed : nullptr);
        if (!why.empty()) {
            result.first_broken = result.lines;
            result.reason = std::move(why);
            return result;
        }
        if (lines != nullptr) {
            lines->push_back(std::move(parsed));
        }
        result.last_hash = sha256_hex(line);
        result.line_hashes.push_back(result.last_hash);
        pos = end + 1;
    }
    return result;
}

[[noreturn]] void throw_broken(const std::filesystem::path& file, const Verification& v) {
    throw Error(ErrorCategory::verification,
                "transcript " + file.string() + " is broken at line " +
                    std::to_string(v.first_broken) + ": " + v.reason +
                    ". Keep the file as evidence; run 'smk transcript verify' on it and start "
                    "a new transcript (--transcript) for this flow.");
}

}  // namespace

std::string genesis_hash() {
    return sha256_hex(kGenesis);
}

Verification verify_file(const std::filesystem::path& file) {
    return verify_text(read_whole(file), nullptr);
}

void require_complete(const std::filesystem::path& file, const Verification& v,
                      const std::optional<Sha256>& expected_last) {
    if (v.lines == 0) {
        throw Error(ErrorCategory::verification,
                    "transcript " + file.string() +
                        " is empty: every ceremony flow writes at least one line. It is not the "
                        "transcript, or it was emptied; find the original.");
    }
    if (!expected_last) {
        return;
    }
    const std::string expected = digest_hex(*expected_last);
    if (expected == v.last_hash) {
        return;
    }
    std::string where =
        "No line of the transcript has that SHA-256: lines were cut off or changed after the "
        "value was written down, or this is another transcript.";
    for (std::size_t i = 0; i < v.line_hashes.size(); ++i) {
        if (v.line_hashes[i] == expected) {
            where = "That is the SHA-256 of line " + std::to_string(i + 1) + "; " +
                    std::to_string(v.line_hashes.size() - i - 1) +
                    " line(s) follow it. If later flows appended them, check their own paper "
                    "value; otherwise they were added after the paper was written.";
        }
    }
    throw Error(ErrorCategory::verification, "transcript " + file.string() +
                                                 ": the SHA-256 of its last line (line " +
                                                 std::to_string(v.lines) + ") is " + v.last_hash +
                                                 ", not the expected " + expected + ". " + where);
}

std::vector<Line> read_file(const std::filesystem::path& file) {
    return read_verified(file).lines;
}

Record read_verified(const std::filesystem::path& file) {
    Record record;
    record.verification = verify_text(read_whole(file), &record.lines);
    if (!record.verification.ok()) {
        throw_broken(file, record.verification);
    }
    return record;
}

Writer::Writer(std::filesystem::path file) : m_path(std::move(file)) {
    struct stat st {};
    const bool existed = ::lstat(m_path.c_str(), &st) == 0;
    m_fd = ::open(m_path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (m_fd < 0) {
        throw Error(ErrorCategory::io,
                    "cannot open transcript " + m_path.string() + ": " + std::strerror(errno));
    }
    if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(m_fd);
        m_fd = -1;
        throw Error(err == EWOULDBLOCK ? ErrorCategory::refused : ErrorCategory::io,
                    "transcript " + m_path.string() +
                        " is in use by another smk process; wait for it to finish");
    }
    if (!existed) {
        fsync_directory(m_path.parent_path().empty() ? std::filesystem::path(".")
                                                     : m_path.parent_path());
    }
    // The chain is read through the descriptor this writer appends to (not the path
    // again); any error closes it, releasing the lock.
    Verification v;
    try {
        v = verify_text(read_text_fd(m_fd, "transcript", m_path, kMaxTranscriptBytes), nullptr);
    } catch (...) {
        ::close(m_fd);
        m_fd = -1;
        throw;
    }
    if (!v.ok()) {
        ::close(m_fd);
        m_fd = -1;
        throw_broken(m_path, v);
    }
    m_seq = v.lines;
    m_prev = v.last_hash;
}

Writer::~Writer() {
    if (m_fd >= 0) {
        ::close(m_fd);  // releases the lock
    }
}

void Writer::append(const Entry& entry) {
    Json json;
    json["seq"] = m_seq + 1;
    json["time"] = utc_now();
    json["flow"] = entry.flow;
    json["step"] = entry.step;
    json["items"] = fields_json(entry.items);
    json["results"] = fields_json(entry.results);
    json["digests"] = fields_json(entry.digests);
    json["prev"] = m_prev;
    std::string body = json.dump(-1, ' ', false, Json::error_handler_t::replace);
    body.pop_back();  // the closing brace: the line's own hash follows
    const std::string line = seal(body);
    const std::string bytes = line + "\n";
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(m_fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            throw Error(ErrorCategory::io, "cannot append to transcript " + m_path.string() + ": " +
                                               std::strerror(errno));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(m_fd) != 0) {
        throw Error(ErrorCategory::io,
                    "cannot fsync transcript " + m_path.string() + ": " + std::strerror(errno));
    }
    ++m_seq;
    m_prev = sha256_hex(line);
}

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::array<char, 32> text{};
    const std::size_t n = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(text.data(), n);
}

}  // namespace smk::transcript
