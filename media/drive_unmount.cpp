// Unmounting a backup drive's filesystem and, when it is busy, saying who holds it.
// Device numbers decide what "on the drive" means (as fuser -m does), not path
// prefixes: a path can be renamed, bind-mounted or deleted while still open.

#include "drive_unmount.hpp"

#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string_view>

#include "smk/error.hpp"

namespace smk::drive::detail {
namespace {

constexpr std::size_t kMaxUsesShown = 4;

bool is_number(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string link_target(const std::string& link) {
    std::string buf(4096, '\0');
    const ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size());
    if (n < 0) {
        return "?";
    }
    buf.resize(static_cast<std::size_t>(n));
    return buf;
}

// The file behind a /proc magic link is on `dev`, or is the block device `dev` itself.
bool on_device(const std::string& link, DevNum dev) {
    struct stat st {};
    if (::stat(link.c_str(), &st) != 0) {
        return false;
    }
    return devnum_of(st.st_dev) == dev || (S_ISBLK(st.st_mode) && devnum_of(st.st_rdev) == dev);
}

std::optional<unsigned> hex_number(std::string_view text) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

// /proc/PID/maps: "addr perms offset MAJ:MIN inode path", device numbers in hex.
void scan_maps(const std::string& proc, DevNum dev, Holder& holder) {
    std::ifstream in(proc + "/maps");
    std::string line;
    std::string last;
    while (std::getline(in, line)) {
        std::string_view rest = line;
        for (int field = 0; field < 3; ++field) {
            const std::size_t space = rest.find(' ');
            if (space == std::string_view::npos) {
                rest = {};
                break;
            }
            rest.remove_prefix(space + 1);
        }
        const std::size_t colon = rest.find(':');
        const std::size_t space = rest.find(' ');
        if (colon == std::string_view::npos || space == std::string_view::npos || colon > space) {
            continue;
        }
        const auto maj = hex_number(rest.substr(0, colon));
        const auto min = hex_number(rest.substr(colon + 1, space - colon - 1));
        if (!maj || !min || DevNum{*maj, *min} != dev) {
            continue;
        }
        const std::size_t slash = line.find('/');
        const std::string path = slash == std::string::npos ? "?" : line.substr(slash);
        if (path != last) {
            holder.uses.push_back("map " + path);
            last = path;
        }
    }
}

}  // namespace

std::vector<Holder> processes_using_device(DevNum dev) {
    std::vector<Holder> holders;
    const std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), &::closedir);
    if (!proc) {
        return holders;
    }
    while (const dirent* entry = ::readdir(proc.get())) {
        const std::string_view name = entry->d_name;
        if (!is_number(name)) {
            continue;
        }
        const std::string base = "/proc/" + std::string(name);
        Holder holder;
        holder.pid = std::stoi(std::string(name));
        for (const char* what : {"cwd", "root", "exe"}) {
            const std::string link = base + "/" + what;
            if (on_device(link, dev)) {
                holder.uses.push_back(std::string(what) + " " + link_target(link));
            }
        }
        if (const std::unique_ptr<DIR, int (*)(DIR*)> fds(::opendir((base + "/fd").c_str()),
                                                          &::closedir);
            fds) {
            while (const dirent* fd = ::readdir(fds.get())) {
                const std::string_view fd_name = fd->d_name;
                const std::string link = base + "/fd/" + std::string(fd_name);
                if (is_number(fd_name) && on_device(link, dev)) {
                    holder.uses.push_back("fd " + std::string(fd_name) + " " + link_target(link));
                }
            }
        }
        scan_maps(base, dev, holder);
        if (holder.uses.empty()) {
            continue;
        }
        std::ifstream comm(base + "/comm");
        std::getline(comm, holder.command);
        if (holder.pid == ::getpid()) {
            holder.command += ", this very command: run it from outside the drive";
        }
        holders.push_back(std::move(holder));
    }
    return holders;
}

std::string describe_holders(const std::vector<Holder>& holders) {
    std::string text;
    for (const Holder& h : holders) {
        if (!text.empty()) {
            text += "; ";
        }
        text += "PID " + std::to_string(h.pid) + " (" + h.command + "): ";
        for (std::size_t i = 0; i < h.uses.size() && i < kMaxUsesShown; ++i) {
            text += (i == 0 ? "" : ", ") + h.uses[i];
        }
        if (h.uses.size() > kMaxUsesShown) {
            text += ", and " + std::to_string(h.uses.size() - kMaxUsesShown) + " more";
        }
    }
    return text;
}

void unmount_mount_point(const std::string& mount_point, DevNum dev) {
    if (::umount2(mount_point.c_str(), 0) == 0) {
        return;
    }
    const int err = errno;
    if (err == EBUSY) {
        const std::vector<Holder> holders = processes_using_device(dev);
        if (holders.empty()) {
            throw Error(ErrorCategory::device,
                        mount_point +
                            " is busy, but no process has a file, directory or mapping "
                            "on it (a mount below it, a loop device or a swap file on "
                            "it?); check with 'fuser -vm " +
                            mount_point + "' and 'losetup -a', then run the command again");
        }
        throw Error(ErrorCategory::device,
                    mount_point + " is busy, held by " + describe_holders(holders) +
                        "; close these programs (or cd out of the drive) and run the command "
                        "again");
    }
    throw Error(ErrorCategory::device, "cannot unmount " + mount_point + ": " + std::strerror(err) +
                                           (err == EPERM ? " (run as root)" : ""));
}

}  // namespace smk::drive::detail
