/* admin.h — synchronous administrative calls on top of the client core
 * (internal): topic creation/deletion/growth, offsets, group listing,
 * description and offset fetch/commit, and the consumer protocol's
 * subscription/assignment encoding. Used by the command-line tools.
 *
 * Every call blocks the calling thread for at most about
 * request.timeout.ms (transport failures are retried inside that window by
 * rill__kclient_call). A FALSE/NULL return always comes with @error:
 * RILL_KAFKA_CLIENT_ERROR_BROKER carries the Kafka error name and code in
 * its message; TRANSPORT/TIMEOUT mean no broker answered in time.
 *
 * Requests that returned partial results (one topic of several failed)
 * fail as a whole: the tools act on one topic or group per call. */
#pragma once

#include "connectors/kafka/kclient.h"

/* Metadata for @topics (NULL-terminated; NULL = every topic) without asking
 * the broker to auto-create them; also updates nothing in the client's
 * cluster map. The returned request's resp.metadata is the answer
 * (transfer full; rill__kreq_free). */
rill__kreq *rill__kadmin_metadata(rill__kclient *client, const char *const *topics, GError **error);

/* CreateTopics with @partitions and @replication (-1: broker default) and
 * @configs ("key=value" strings, NULL-terminated, may be NULL). */
gboolean rill__kadmin_create_topic(rill__kclient *client, const char *topic, int32_t partitions, int16_t replication,
                                   const char *const *configs, GError **error);
gboolean rill__kadmin_delete_topic(rill__kclient *client, const char *topic, GError **error);
/* Grows @topic to @total partitions (CreatePartitions). */
gboolean rill__kadmin_create_partitions(rill__kclient *client, const char *topic, int32_t total, GError **error);

/* ListOffsets for partitions 0..@n-1 of @topic at @timestamp (-2 earliest,
 * -1 latest, else ms: the first offset with a timestamp >= it, or -1 when
 * none). The client's cluster map must know @topic's leaders
 * (rill__kclient_refresh_metadata). Fills @out[0..n-1]. */
gboolean rill__kadmin_list_offsets(rill__kclient *client, const char *topic, int32_t n, int64_t timestamp,
                                   int64_t *out, GError **error);

/* ---- groups -------------------------------------------------------------- */

/* The coordinator node of @group (FindCoordinator), retried while the
 * coordinator is loading or not available. -1 with @error. */
int32_t rill__kadmin_find_coordinator(rill__kclient *client, const char *group, GError **error);

typedef struct {
  char *group_id;
  char *protocol_type; /* "consumer" for Kafka consumers; "" when empty */
} rill__kgroup_listing;

/* ListGroups on every broker of the cluster; one rill__kgroup_listing per
 * group (transfer full; free with rill__kgroup_listing_free). */
GPtrArray *rill__kadmin_list_groups(rill__kclient *client, GError **error);
void rill__kgroup_listing_free(rill__kgroup_listing *l);

/* DescribeGroups of @group at @coordinator; resp.describe_groups of the
 * returned request has exactly one group, whose error code is 0.
 * (transfer full) */
rill__kreq *rill__kadmin_describe_group(rill__kclient *client, int32_t coordinator, const char *group, GError **error);

/* One committed (or to-be-committed) offset. */
typedef struct {
  char *topic;
  int32_t partition;
  int64_t offset; /* -1: none committed */
} rill__koffset;

/* Committed offsets of @group for @topic (NULL = every topic the group has
 * offsets for). An array of rill__koffset (transfer full). */
GArray *rill__kadmin_offset_fetch(rill__kclient *client, int32_t coordinator, const char *group, const char *topic,
                                  GError **error);
/* Frees an array from rill__kadmin_offset_fetch (its topic strings too). */
void rill__koffsets_free(GArray *offsets);

/* Commits @offsets (rill__koffset, all of one topic or several) for @group
 * as member @member_id of @generation (-1 and "" for an administrative
 * commit, which Kafka accepts only while the group is empty). */
gboolean rill__kadmin_offset_commit(rill__kclient *client, int32_t coordinator, const char *group, int32_t generation,
                                    const char *member_id, const GArray *offsets, GError **error);

/* ---- consumer protocol (ConsumerProtocolSubscription/Assignment v0) ---- */

/* Subscription metadata for @topics (NULL-terminated). (transfer full) */
GBytes *rill__kconsumer_subscription_encode(const char *const *topics);
/* Topics of a subscription (NULL-terminated, transfer full), or NULL when malformed. */
char **rill__kconsumer_subscription_decode(const uint8_t *data, size_t len);
/* Assignment of @n (topic, partition) pairs. (transfer full) */
GBytes *rill__kconsumer_assignment_encode(const rill__koffset *parts, guint n);
/* The (topic, partition) pairs of an assignment (offset fields -1), or NULL
 * when malformed. (transfer full; rill__koffsets_free) */
GArray *rill__kconsumer_assignment_decode(const uint8_t *data, size_t len);
