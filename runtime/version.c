/* version.c — the version of the loaded library (may differ from the header
 * a program was compiled against). */
#include <rill/version.h>

#define STR_(x) #x
#define STR(x) STR_(x)

const char *rill_version_string(void)
{
  return STR(RILL_VERSION_MAJOR) "." STR(RILL_VERSION_MINOR) "." STR(RILL_VERSION_MICRO);
}
