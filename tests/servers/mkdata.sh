#!/usr/bin/env bash
# Part of the inet test harness (tests/src/servers.rs runs it); keep it runnable by hand too.
# Test data for transfers and listings. Binary files are a fixed AES-CTR keystream: same bytes on every run.
# usage: mkdata.sh DIR [--big]      (--big or MKDATA_BIG=1 adds rand_1G.bin; existing files of the right size are kept)
# Creates in DIR: hello.txt empty.txt crlf.txt lines.txt utf8.txt "name with spaces.txt" rand_1M.bin rand_64M.bin
#   [rand_1G.bin] tree/ (nested dirs, an empty dir, a UTF-8 name, 100 small files), page/ (an HTML page and
#   the resources it names) and SHA256SUMS. Prints "DATA DIR".
set -euo pipefail
D=${1:?usage: mkdata.sh DIR [--big]}; BIG=${MKDATA_BIG:-0}; [ "${2:-}" = --big ] && BIG=1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
install_once openssl openssl
mkdir -p "$D"; D=$(cd "$D" && pwd -P); cd "$D"

# bin FILE BYTES: deterministic pseudo-random content (key/iv derived from the file name)
bin() { [ "$(stat -c %s "$1" 2>/dev/null)" = "$2" ] && return 0
  local k; k=$(printf %s "$1" | openssl dgst -sha256 -r | cut -c1-32)
  head -c "$2" /dev/zero | openssl enc -aes-128-ctr -nosalt -K "$k" -iv 00000000000000000000000000000000 > "$1"; }

echo "Hello, world!" > hello.txt
: > empty.txt
printf 'line 1\r\nline 2\r\nline 3\r\n' > crlf.txt
for i in $(seq 10000); do echo "line $i: the quick brown fox jumps over the lazy dog"; done > lines.txt
printf 'caf\xc3\xa9 na\xc3\xafve \xe2\x82\xac \xe6\x97\xa5\xe6\x9c\xac\n' > utf8.txt
echo "spaces in the name" > "name with spaces.txt"
bin rand_1M.bin $((1 << 20))
bin rand_64M.bin $((64 << 20))
[ "$BIG" = 1 ] && bin rand_1G.bin $((1 << 30))
mkdir -p tree/a/b/c tree/empty tree/many
echo top > tree/top.txt; echo a > tree/a/a.txt; echo b > tree/a/b/b.txt; echo c > tree/a/b/c/c.txt
echo "UTF-8 name" > "tree/caf$(printf '\xc3\xa9').txt"
bin tree/a/b/c/blob.bin 4097
for i in $(seq -w 1 100); do echo "file $i" > "tree/many/f$i.txt"; done
# page/: an HTML page naming same-origin resources (relative and absolute) and one elsewhere
mkdir -p page/img
printf '%s\n' '<!doctype html><html><head><link rel=stylesheet href="style.css">' \
  '<script src="/data/page/app.js"></script></head><body>' \
  '<img src="img/a.bin" alt=""><img src="img/b.bin" alt=""><a href="#top">top</a>' \
  '<a href="http://elsewhere.invalid/x.html">elsewhere</a></body></html>' > page/index.html
echo "body { color: black }" > page/style.css
echo "console.log('inet');" > page/app.js
bin page/img/a.bin 10000
bin page/img/b.bin 70000
find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum > SHA256SUMS
chmod -R a+rX .
echo "DATA $D"
