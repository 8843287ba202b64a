/* json.c — JSON members and replies for the HTTP routes (see json.h). */
#include "runtime/http/json.h"

void rill__json_member_int(JsonBuilder *jb, const char *name, int64_t v)
{
  json_builder_set_member_name(jb, name);
  json_builder_add_int_value(jb, v);
}

void rill__json_member_str(JsonBuilder *jb, const char *name, const char *v)
{
  json_builder_set_member_name(jb, name);
  json_builder_add_string_value(jb, v);
}

void rill__http_reply_json(rill_http_response *resp, JsonBuilder *jb)
{
  g_autoptr(JsonNode) root = json_builder_get_root(jb);
  g_autofree char *text = json_to_string(root, FALSE);
  resp->content_type = "application/json";
  g_string_append(resp->body, text);
  g_string_append_c(resp->body, '\n');
}
