#pragma once
// The "hsm" command group: the SMK in a PKCS#11 token (install, KCV inside the
// token) and application-key backups wrapped under it (smk/hsm.hpp).
//   smk hsm tokens --pkcs11-module SO [--json]
//   smk hsm install --pkcs11-module SO --token L --label K [--id HEX] [--replace]
//                   [--expect-kcv HEX] (--pin-file F | --pin-fd N) [--passphrase-file F]
//                   SHAREFILE...
//   smk hsm kcv --pkcs11-module SO --token L --label K [--expect HEX] [--json] (PIN options)
//   smk hsm backup --pkcs11-module SO --token L --wrap-with K --key LABEL... --out FILE
//   smk hsm restore-backup --pkcs11-module SO --token L --unwrap-with K [--replace] FILE
// --pkcs11-module defaults to $SMK_PKCS11_MODULE. Tokens are named by label.
// Exit codes through smk::Error: 2 usage (unknown label), 3 invalid input, 5
// verification (KCV, wrong PIN, checksum), 6 io, 7 refused (existing label or
// file), 8 device.

namespace CLI {
class App;
}

namespace smk::cli {

struct Context;

void register_hsm(CLI::App& app, Context& ctx);

}  // namespace smk::cli
