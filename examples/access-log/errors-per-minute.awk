# errors-per-minute.awk — the access-log job written in gawk, as the
# independent reference for the example's test and the baseline of
# bench/etl. Same grammar as access-log.c's parser: a line that is not
#   IP - - [DD/Mon/YYYY:HH:MM:SS +0000] "METHOD PATH HTTP/1.x" STATUS BYTES
# is malformed. Prints "MINUTE PATH COUNT" per (minute, path) with server
# errors (status >= 500), MINUTE as YYYY-MM-DDTHH:MM (UTC), then
# "malformed N". Run with LC_ALL=C.
BEGIN {
  split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", names, " ")
  for (i = 1; i <= 12; i++) month[names[i]] = sprintf("%02d", i)
  malformed = 0
}
!/^[0-9.]+ - - \[[0-9][0-9]\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/[0-9][0-9][0-9][0-9]:[0-9][0-9]:[0-9][0-9]:[0-9][0-9] \+0000\] "[A-Z]+ [^ "]+ HTTP\/1\.[01]" [0-9][0-9][0-9] [0-9]+$/ {
  malformed++
  next
}
$9 >= 500 {
  # $4 is "[14/Nov/2023:22:13:20"; the minute is its first 17 characters after "[".
  count[substr($4, 2, 17) " " $7]++
}
END {
  for (k in count) {
    t = substr(k, 1, 17)
    print substr(t, 8, 4) "-" month[substr(t, 4, 3)] "-" substr(t, 1, 2) "T" substr(t, 13, 5) substr(k, 18), count[k]
  }
  print "malformed", malformed
}
