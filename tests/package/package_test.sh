#!/usr/bin/env bash
# Package test (issue #7 item 3, issue #6 item 5): builds the .deb from the build directory with
# scripts/package (lintian must find no error), installs it into an empty root with
# `dpkg --root` running the real maintainer scripts chrootless (DPKG_ROOT), checks the files,
# the jobd user, directories and conffiles, runs the installed jobd, verifies the systemd unit
# with systemd-analyze, dry-runs the logrotate snippet, and purges the package again.
#   package_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail

if [[ $EUID -ne 0 ]]; then
    echo "package test: skipped, needs root (dpkg --root, file ownership); CI runs it as root" >&2
    exit 77
fi
source_dir=$(realpath "$1")
build_dir=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

check() {
    local what=$1
    shift
    if "$@"; then
        echo "ok: $what"
    else
        fail "$what"
    fi
}

# `stat` of a path in the root: mode owner-uid group-gid.
stat_of() {
    stat -c '%a %u %g' "$root$1"
}

id_in_root() {  # id_in_root passwd|group NAME
    awk -F: -v name="$2" '$1 == name { print $3 }' "$root/etc/$1"
}

echo "== build the package (scripts/package from $build_dir)"
deb=$(JOBD_PACKAGE_BUILD_DIR="$build_dir" "$source_dir/scripts/package" "$work")
version=$(sed -n 's/^project(jobd VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
check "file name is jobd_${version}_amd64.deb" test "$(basename "$deb")" = "jobd_${version}_amd64.deb"

echo "== control fields"
dpkg-deb --field "$deb" Package Version Architecture Depends Recommends
depends=$(dpkg-deb --field "$deb" Depends)
for library in libpqxx libyaml-cpp libsodium libsystemd0 libstdc++6 libc6; do
    check "Depends names $library (shlibdeps)" grep -q "$library" <<<"$depends"
done
check "Depends names systemd-sysusers" grep -q "systemd-sysusers" <<<"$depends"
dpkg-deb --ctrl-tarfile "$deb" | tar -t >"$work/control-files"
check "conffiles lists /etc/jobd/jobd.yaml and the logrotate snippet" \
    bash -c "dpkg-deb --info '$deb' conffiles | grep -qx /etc/jobd/jobd.yaml &&
             dpkg-deb --info '$deb' conffiles | grep -qx /etc/logrotate.d/jobd"

echo "== install into an empty root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
touch "$root/var/lib/dpkg/status"
# The root holds no libraries, hence --force-depends; the maintainer scripts run on this host
# with DPKG_ROOT=$root (systemd-sysusers/tmpfiles --root, deb-systemd-helper).
dpkg --root="$root" --log=/dev/null --force-script-chrootless --force-depends --install "$deb"
check "dpkg reports jobd installed" \
    test "$(dpkg-query --root="$root" -W -f='${Status}' jobd)" = "install ok installed"

for path in /usr/bin/jobd /usr/bin/jobctl /usr/libexec/jobd/ips-demo-handler; do
    check "$path is an executable" test -x "$root$path"
done
for path in /etc/jobd/jobd.yaml /etc/logrotate.d/jobd /lib/systemd/system/jobd.service \
    /usr/lib/sysusers.d/jobd.conf /usr/lib/tmpfiles.d/jobd.conf \
    /usr/share/man/man8/jobd.8.gz /usr/share/man/man1/jobctl.1.gz \
    /usr/share/man/man5/jobd.yaml.5.gz /usr/share/doc/jobd/copyright \
    /usr/share/doc/jobd/changelog.gz /usr/share/doc/jobd/README.md \
    /usr/share/doc/jobd/docs/configuration.md; do
    check "$path is installed" test -f "$root$path"
done
for migration in "$source_dir"/migrations/*.sql; do
    check "migration $(basename "$migration")" \
        cmp -s "$migration" "$root/usr/share/jobd/migrations/$(basename "$migration")"
done
check "binaries are stripped" bash -c "! file -L '$root/usr/bin/jobd' | grep -q 'not stripped'"
check "jobd.yaml(5) lists every key of the table" \
    bash -c "zcat '$root/usr/share/man/man5/jobd.yaml.5.gz' | grep -q 'handlers.<jobType>.env'"
for page in man8/jobd.8.gz man1/jobctl.1.gz man5/jobd.yaml.5.gz; do
    warnings=$(zcat "$root/usr/share/man/$page" | groff -man -Tutf8 -ww -z 2>&1 || true)
    check "$page renders without groff warnings" test -z "$warnings"
    [[ -z "$warnings" ]] || echo "$warnings" >&2
done

echo "== maintainer scripts: user, directories, permissions, enablement"
uid=$(id_in_root passwd jobd)
gid=$(id_in_root group jobd)
check "postinst created the jobd system user" test -n "$uid" -a "${uid:-1000}" -lt 1000
check "postinst created the jobd group" test -n "$gid"
check "jobd has no login shell" grep -q '^jobd:.*:/usr/sbin/nologin$' "$root/etc/passwd"
check "/var/log/jobd is 750 jobd:jobd" test "$(stat_of /var/log/jobd)" = "750 $uid $gid"
check "/var/lib/jobd is 750 jobd:jobd" test "$(stat_of /var/lib/jobd)" = "750 $uid $gid"
check "/etc/jobd/jobd.yaml is 640 root:jobd" test "$(stat_of /etc/jobd/jobd.yaml)" = "640 0 $gid"
check "jobd.service is enabled (multi-user.target.wants)" \
    test -L "$root/etc/systemd/system/multi-user.target.wants/jobd.service"

echo "== run the installed jobd"
check "jobd --version" test "$("$root/usr/bin/jobd" --version)" = "jobd $version"
check "jobctl --help" "$root/usr/bin/jobctl" --help >/dev/null
check "jobd check-config on the shipped config" \
    "$root/usr/bin/jobd" check-config --config "$root/etc/jobd/jobd.yaml"
# The commented demo handlers of the shipped config must be valid once uncommented.
{
    sed '/^# handlers:/,$d' "$root/etc/jobd/jobd.yaml"
    sed -n '/^# handlers:/,$p' "$root/etc/jobd/jobd.yaml" | sed 's/^# \{0,1\}//'
} >"$work/with-demo.yaml"
check "jobd check-config with the demo handlers uncommented" \
    "$root/usr/bin/jobd" check-config --config "$work/with-demo.yaml"
check "the demo handler runs" \
    bash -c "echo '{}' | JOBD_JOB_TYPE=Export '$root/usr/libexec/jobd/ips-demo-handler' | grep -q ExportSuccess"

echo "== systemd-analyze verify"
# Against the installed root, so ExecStart= must name binaries the package put there. A real
# root also has systemd's own units (sysinit.target, ...) and /bin/kill (ExecReload=): copy them
# from this host. Documentation= man pages are looked up in the root's man directory.
mkdir -p "$root/bin"
cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
cp /bin/kill "$root/bin/kill"
if output=$(MANPATH="$root/usr/share/man" systemd-analyze verify --root="$root" jobd.service 2>&1); then
    echo "ok: systemd-analyze verify jobd.service"
else
    fail "systemd-analyze verify jobd.service"
fi
[[ -z "$output" ]] || echo "$output" >&2
check "systemd-analyze verify printed nothing" test -z "$output"

echo "== logrotate snippet (dry run on a copy with paths and user made local)"
mkdir -p "$work/logs/companies"
echo '{"run":"47|J|1"}' >"$work/logs/companies/47.log"
sed -e "s|/var/log/jobd|$work/logs|" -e "s|su jobd jobd|su root root|" \
    "$root/etc/logrotate.d/jobd" >"$work/logrotate.conf"
check "logrotate accepts the snippet and would rotate 47.log" \
    bash -c "logrotate --debug --force --state '$work/logrotate.state' '$work/logrotate.conf' 2>&1 |
             grep -q 'renaming $work/logs/companies/47.log to $work/logs/companies/47.log.1'"
check "the snippet does not use copytruncate" \
    bash -c "! grep -Eq '^[[:space:]]*copytruncate' '$root/etc/logrotate.d/jobd'"

echo "== purge"
dpkg --root="$root" --log=/dev/null --force-script-chrootless --force-depends --purge jobd
check "no jobd file is left" bash -c "! find '$root/usr' '$root/lib' -path '*jobd*' 2>/dev/null | grep -q ."
check "/etc/jobd is gone" test ! -e "$root/etc/jobd"
check "/var/log/jobd is gone" test ! -e "$root/var/log/jobd"
check "/var/lib/jobd is gone" test ! -e "$root/var/lib/jobd"
check "the enablement symlink is gone" \
    test ! -e "$root/etc/systemd/system/multi-user.target.wants/jobd.service"
check "the jobd system user stays (Debian keeps system users)" grep -q '^jobd:' "$root/etc/passwd"

if [[ $failures -gt 0 ]]; then
    echo "package test: $failures check(s) failed" >&2
    exit 1
fi
echo "package test: all checks passed"
