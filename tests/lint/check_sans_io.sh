#!/usr/bin/env bash
# Protocol cores and core libraries must not include Boost.Asio, open sockets or read a clock:
# time and I/O are parameters. Drivers are the files listed as such below.
set -euo pipefail
root="$1"
cd "$root"
# Files allowed to do I/O: drivers, servers and the command line.
drivers='(/asio\.h$|_(driver|server|client|agent|io)\.(h|cpp)$|advanced_mux\.(h|cpp)$|udp_socket.*\.(h|cpp)$|^src/cli/)'
status=0
while IFS= read -r f; do
  if echo "$f" | grep -Eq "$drivers"; then continue; fi
  if grep -nE '#include <boost/(asio|beast)' "$f"; then
    echo "check_sans_io: $f includes Asio/Beast but is not a driver" >&2; status=1
  fi
  if grep -nE '(steady_clock|system_clock)::now\(\)' "$f" | grep -v 'core/clock.h' >/dev/null; then
    if [ "$f" != "include/gquic/core/clock.h" ]; then
      echo "check_sans_io: $f reads the clock; take a TimePoint parameter instead" >&2; status=1
    fi
  fi
done < <(find include src -name '*.h' -o -name '*.cpp' | sort)
if [ "$status" = 0 ]; then echo "check_sans_io: ok"; fi
exit "$status"
