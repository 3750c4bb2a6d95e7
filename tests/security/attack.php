<?php
// A hostile tenant in PHP: site alpha's own code, run by its persistent php-cgi (FastCGI)
// processes, trying to reach site beta and the host. Prints {"escaped": bool, "detail": str}.
header("Content-Type: application/json");
$case = $_GET["case"] ?? "";
$arg = $_GET["arg"] ?? "";

function outcome($escaped, $detail) {
    echo json_encode(["escaped" => $escaped, "detail" => $detail]), "\n";
    exit;
}

switch ($case) {
    case "whoami":
        outcome(false, posix_getuid() . " " . posix_getgid());
    case "setuid_root":
        $ok = @posix_setuid(0);
        outcome($ok || posix_geteuid() == 0, "uid " . posix_getuid() . " euid " . posix_geteuid());
    case "read":
        $data = @file_get_contents($arg);
        outcome($data !== false, $data === false ? (error_get_last()["message"] ?? "failed") : substr($data, 0, 20));
    case "write":
        $ok = @file_put_contents($arg, "owned by alpha\n");
        outcome($ok !== false, $ok === false ? (error_get_last()["message"] ?? "failed") : "wrote $arg");
    case "list":
        $entries = @scandir($arg);
        outcome($entries !== false, $entries === false ? "refused" : implode(",", array_slice($entries, 0, 5)));
    case "kill":
        $ok = @posix_kill((int)$arg, 9);
        outcome($ok, posix_strerror(posix_get_last_error()));
    case "symlink_read":
        $link = "/tmp/php-link-" . getmypid();
        @symlink($arg, $link);
        $data = @file_get_contents($link);
        @unlink($link);
        outcome($data !== false, $data === false ? "refused" : substr($data, 0, 20));
    case "exec":
        $out = @shell_exec($arg . " 2>&1");
        outcome(false, (string)$out);
    case "open":
        $handle = @fopen($arg, "rb");
        if ($handle !== false) fclose($handle);
        outcome($handle !== false, $handle === false ? (error_get_last()["message"] ?? "failed") : "opened $arg");
    case "holds":
        $links = [];
        foreach (scandir("/proc/self/fd") ?: [] as $fd) {
            $link = @readlink("/proc/self/fd/$fd");
            if ($link !== false) $links[] = $link;
        }
        outcome(in_array($arg, $links, true), implode(",", $links));
    default:
        outcome(false, "unknown case");
}
