/* group-stub.c — the group APIs' fallback until the coordinator lands.
 *
 * Every group API answers COORDINATOR_NOT_AVAILABLE (15, retriable) in the
 * fields its version carries, so clients back off and retry instead of
 * failing or hanging. This is the only place the fallback lives: the group
 * coordinator's branch deletes this file and lists its group*.c in
 * sources.cmake instead (see group.h).
 */
#include "runtime/broker/group.h"

#define STUB_ERR RILL_KAFKA_ERR_COORDINATOR_NOT_AVAILABLE

struct rill__group_coordinator {
  int unused; /* nothing to keep: the stub has no state */
};

rill__group_coordinator *rill__group_coordinator_new(rill__broker *broker, GError **error)
{
  (void)broker;
  (void)error;
  return g_new0(rill__group_coordinator, 1);
}

void rill__group_coordinator_shutdown(rill__group_coordinator *gc)
{
  (void)gc; /* nothing parked */
}

void rill__group_coordinator_free(rill__group_coordinator *gc)
{
  g_free(gc);
}

void rill__group_handle_find_coordinator(rill__broker_req *req)
{
  const rill_wire_find_coordinator_request *in = &req->body->find_coordinator;
  rill_wire_find_coordinator_response out;
  rill_wire_find_coordinator_response_init(&out);
  out.error_code = STUB_ERR;
  out.node_id = -1;
  out.port = -1;
  out.coordinators = rill__broker_req_new0(req, rill_wire_find_coordinator_response_coordinator,
                                           MAX(in->n_coordinator_keys, 0));
  out.n_coordinators = MAX(in->n_coordinator_keys, 0);
  for (int32_t i = 0; i < out.n_coordinators; i++) {
    out.coordinators[i].key = in->coordinator_keys[i];
    out.coordinators[i].node_id = -1;
    out.coordinators[i].host = rill_wire_str_from("");
    out.coordinators[i].port = -1;
    out.coordinators[i].error_code = STUB_ERR;
    out.coordinators[i].error_message = RILL_WIRE_STR_NULL;
  }
  rill__broker_respond(req, &out);
}

void rill__group_handle_join_group(rill__broker_req *req)
{
  rill_wire_join_group_response out;
  rill_wire_join_group_response_init(&out);
  out.error_code = STUB_ERR;
  out.member_id = req->body->join_group.member_id;
  rill__broker_respond(req, &out);
}

void rill__group_handle_sync_group(rill__broker_req *req)
{
  rill_wire_sync_group_response out;
  rill_wire_sync_group_response_init(&out);
  out.error_code = STUB_ERR;
  out.assignment = rill_wire_bytes_from("", 0);
  rill__broker_respond(req, &out);
}

void rill__group_handle_heartbeat(rill__broker_req *req)
{
  rill_wire_heartbeat_response out;
  rill_wire_heartbeat_response_init(&out);
  out.error_code = STUB_ERR;
  rill__broker_respond(req, &out);
}

void rill__group_handle_leave_group(rill__broker_req *req)
{
  rill_wire_leave_group_response out;
  rill_wire_leave_group_response_init(&out);
  out.error_code = STUB_ERR;
  rill__broker_respond(req, &out);
}

void rill__group_handle_offset_commit(rill__broker_req *req)
{
  const rill_wire_offset_commit_request *in = &req->body->offset_commit;
  rill_wire_offset_commit_response out;
  rill_wire_offset_commit_response_init(&out);
  out.n_topics = MAX(in->n_topics, 0);
  out.topics = rill__broker_req_new0(req, rill_wire_offset_commit_response_offset_commit_response_topic, out.n_topics);
  for (int32_t t = 0; t < out.n_topics; t++) {
    out.topics[t].name = in->topics[t].name;
    out.topics[t].n_partitions = MAX(in->topics[t].n_partitions, 0);
    out.topics[t].partitions = rill__broker_req_new0(
        req, rill_wire_offset_commit_response_offset_commit_response_partition, out.topics[t].n_partitions);
    for (int32_t p = 0; p < out.topics[t].n_partitions; p++) {
      out.topics[t].partitions[p].partition_index = in->topics[t].partitions[p].partition_index;
      out.topics[t].partitions[p].error_code = STUB_ERR;
    }
  }
  rill__broker_respond(req, &out);
}

void rill__group_handle_offset_fetch(rill__broker_req *req)
{
  const rill_wire_offset_fetch_request *in = &req->body->offset_fetch;
  rill_wire_offset_fetch_response out;
  rill_wire_offset_fetch_response_init(&out);
  out.error_code = STUB_ERR;
  /* v0/v1 have no top-level error: answer per requested partition. */
  int32_t nt = MAX(in->n_topics, 0);
  out.topics = rill__broker_req_new0(req, rill_wire_offset_fetch_response_offset_fetch_response_topic, nt);
  out.n_topics = nt;
  for (int32_t t = 0; t < nt; t++) {
    int32_t np = MAX(in->topics[t].n_partition_indexes, 0);
    out.topics[t].name = in->topics[t].name;
    out.topics[t].partitions =
        rill__broker_req_new0(req, rill_wire_offset_fetch_response_offset_fetch_response_partition, np);
    out.topics[t].n_partitions = np;
    for (int32_t p = 0; p < np; p++) {
      out.topics[t].partitions[p].partition_index = in->topics[t].partition_indexes[p];
      out.topics[t].partitions[p].committed_offset = -1;
      out.topics[t].partitions[p].committed_leader_epoch = -1;
      out.topics[t].partitions[p].metadata = RILL_WIRE_STR_NULL;
      out.topics[t].partitions[p].error_code = STUB_ERR;
    }
  }
  int32_t ng = MAX(in->n_groups, 0);
  out.groups = rill__broker_req_new0(req, rill_wire_offset_fetch_response_offset_fetch_response_group, ng);
  out.n_groups = ng;
  for (int32_t g = 0; g < ng; g++) {
    out.groups[g].group_id = in->groups[g].group_id;
    out.groups[g].error_code = STUB_ERR;
  }
  rill__broker_respond(req, &out);
}

void rill__group_handle_list_groups(rill__broker_req *req)
{
  rill_wire_list_groups_response out;
  rill_wire_list_groups_response_init(&out);
  out.error_code = STUB_ERR;
  rill__broker_respond(req, &out);
}

void rill__group_handle_describe_groups(rill__broker_req *req)
{
  const rill_wire_describe_groups_request *in = &req->body->describe_groups;
  rill_wire_describe_groups_response out;
  rill_wire_describe_groups_response_init(&out);
  out.n_groups = MAX(in->n_groups, 0);
  out.groups = rill__broker_req_new0(req, rill_wire_describe_groups_response_described_group, out.n_groups);
  for (int32_t g = 0; g < out.n_groups; g++) {
    out.groups[g].error_code = STUB_ERR;
    out.groups[g].group_id = in->groups[g];
    out.groups[g].group_state = rill_wire_str_from("");
    out.groups[g].protocol_type = rill_wire_str_from("");
    out.groups[g].protocol_data = rill_wire_str_from("");
    out.groups[g].authorized_operations = INT32_MIN;
  }
  rill__broker_respond(req, &out);
}

void rill__group_handle_delete_groups(rill__broker_req *req)
{
  const rill_wire_delete_groups_request *in = &req->body->delete_groups;
  rill_wire_delete_groups_response out;
  rill_wire_delete_groups_response_init(&out);
  out.n_results = MAX(in->n_groups_names, 0);
  out.results = rill__broker_req_new0(req, rill_wire_delete_groups_response_deletable_group_result, out.n_results);
  for (int32_t g = 0; g < out.n_results; g++) {
    out.results[g].group_id = in->groups_names[g];
    out.results[g].error_code = STUB_ERR;
  }
  rill__broker_respond(req, &out);
}
