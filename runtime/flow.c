/* flow.c — names of flow statuses, for logs and error messages. */
#include <rill/flow.h>

const char *rill_flow_name(rill_flow flow)
{
  switch (flow) {
  case RILL_FLOW_OK: return "ok";
  case RILL_FLOW_FLUSHING: return "flushing";
  case RILL_FLOW_EOS: return "eos";
  case RILL_FLOW_ERROR: return "error";
  }
  return "unknown";
}
