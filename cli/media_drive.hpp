#pragma once
// The drive commands of the "media" group:
//   smk media list [--json]
//   smk media check --serial "AS WRITTEN" (PATH | --device DEV) [--json]
//   smk media eject (PATH | --device DEV) [--json]
// Exit codes through smk::Error: 0 ok/match; 2 usage (neither or both of PATH and
// --device, empty --serial); 3 not a USB drive (or not a block device, or stat and
// the mount table disagree); 5 serial mismatch, look-alikes included, or a drive
// with no serial; 6 no such path or device node; 8 eject failed: a mount is busy
// (the message names PID and command of each holder) or a sysfs write failed.

namespace CLI {
class App;
}

namespace smk::cli {

// Adds list, check and eject under `media` (the group's CLI::App).
void add_media_drive_commands(CLI::App& media);

}  // namespace smk::cli
