/* kafka-error.h — Kafka protocol error codes: name, number, whether a client
 * may retry, and the standard message. Shared by the broker (what it answers)
 * and the Kafka connector (how it reacts).
 *
 * RILL_KAFKA_ERROR_MAP(XX) lists every code once as
 * XX(NAME, code, retriable, "message"); "retriable" is Kafka's own
 * classification (the client's exception extends RetriableException).
 */
#pragma once

#include <rill/export.h>

#include <stdbool.h>
#include <stdint.h>

G_BEGIN_DECLS

#define RILL_KAFKA_ERROR_MAP(XX) \
  XX(UNKNOWN_SERVER_ERROR, -1, false, "The server experienced an unexpected error when processing the request.") \
  XX(NONE, 0, false, "No error.") \
  XX(OFFSET_OUT_OF_RANGE, 1, false, "The requested offset is not within the range of offsets maintained by the server.") \
  XX(CORRUPT_MESSAGE, 2, true, "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.") \
  XX(UNKNOWN_TOPIC_OR_PARTITION, 3, true, "This server does not host this topic-partition.") \
  XX(INVALID_FETCH_SIZE, 4, false, "The requested fetch size is invalid.") \
  XX(LEADER_NOT_AVAILABLE, 5, true, "There is no leader for this topic-partition as we are in the middle of a leadership election.") \
  XX(NOT_LEADER_OR_FOLLOWER, 6, true, "For requests intended only for the leader, this error indicates that the broker is not the current leader.") \
  XX(REQUEST_TIMED_OUT, 7, true, "The request timed out.") \
  XX(BROKER_NOT_AVAILABLE, 8, false, "The broker is not available.") \
  XX(REPLICA_NOT_AVAILABLE, 9, true, "The replica is not available for the requested topic-partition.") \
  XX(MESSAGE_TOO_LARGE, 10, false, "The request included a message larger than the max message size the server will accept.") \
  XX(STALE_CONTROLLER_EPOCH, 11, false, "The controller moved to another broker.") \
  XX(OFFSET_METADATA_TOO_LARGE, 12, false, "The metadata field of the offset request was too large.") \
  XX(NETWORK_EXCEPTION, 13, true, "The server disconnected before a response was received.") \
  XX(COORDINATOR_LOAD_IN_PROGRESS, 14, true, "The coordinator is loading and hence can't process requests.") \
  XX(COORDINATOR_NOT_AVAILABLE, 15, true, "The coordinator is not available.") \
  XX(NOT_COORDINATOR, 16, true, "This is not the correct coordinator.") \
  XX(INVALID_TOPIC_EXCEPTION, 17, false, "The request attempted to perform an operation on an invalid topic.") \
  XX(RECORD_LIST_TOO_LARGE, 18, false, "The request included message batch larger than the configured segment size on the server.") \
  XX(NOT_ENOUGH_REPLICAS, 19, true, "Messages are rejected since there are fewer in-sync replicas than required.") \
  XX(NOT_ENOUGH_REPLICAS_AFTER_APPEND, 20, true, "Messages are written to the log, but to fewer in-sync replicas than required.") \
  XX(INVALID_REQUIRED_ACKS, 21, false, "Produce request specified an invalid value for required acks.") \
  XX(ILLEGAL_GENERATION, 22, false, "Specified group generation id is not valid.") \
  XX(INCONSISTENT_GROUP_PROTOCOL, 23, false, "The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list.") \
  XX(INVALID_GROUP_ID, 24, false, "The configured groupId is invalid.") \
  XX(UNKNOWN_MEMBER_ID, 25, false, "The coordinator is not aware of this member.") \
  XX(INVALID_SESSION_TIMEOUT, 26, false, "The session timeout is not within the range allowed by the broker.") \
  XX(REBALANCE_IN_PROGRESS, 27, false, "The group is rebalancing, so a rejoin is needed.") \
  XX(INVALID_COMMIT_OFFSET_SIZE, 28, false, "The committing offset data size is not valid.") \
  XX(TOPIC_AUTHORIZATION_FAILED, 29, false, "Topic authorization failed.") \
  XX(GROUP_AUTHORIZATION_FAILED, 30, false, "Group authorization failed.") \
  XX(CLUSTER_AUTHORIZATION_FAILED, 31, false, "Cluster authorization failed.") \
  XX(INVALID_TIMESTAMP, 32, false, "The timestamp of the message is out of acceptable range.") \
  XX(UNSUPPORTED_SASL_MECHANISM, 33, false, "The broker does not support the requested SASL mechanism.") \
  XX(ILLEGAL_SASL_STATE, 34, false, "Request is not valid given the current SASL state.") \
  XX(UNSUPPORTED_VERSION, 35, false, "The version of API is not supported.") \
  XX(TOPIC_ALREADY_EXISTS, 36, false, "Topic with this name already exists.") \
  XX(INVALID_PARTITIONS, 37, false, "Number of partitions is below 1.") \
  XX(INVALID_REPLICATION_FACTOR, 38, false, "Replication factor is below 1 or larger than the number of available brokers.") \
  XX(INVALID_REPLICA_ASSIGNMENT, 39, false, "Replica assignment is invalid.") \
  XX(INVALID_CONFIG, 40, false, "Configuration is invalid.") \
  XX(NOT_CONTROLLER, 41, true, "This is not the correct controller for this cluster.") \
  XX(INVALID_REQUEST, 42, false, "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker.") \
  XX(UNSUPPORTED_FOR_MESSAGE_FORMAT, 43, false, "The message format version on the broker does not support the request.") \
  XX(POLICY_VIOLATION, 44, false, "Request parameters do not satisfy the configured policy.") \
  XX(OUT_OF_ORDER_SEQUENCE_NUMBER, 45, false, "The broker received an out of order sequence number.") \
  XX(DUPLICATE_SEQUENCE_NUMBER, 46, false, "The broker received a duplicate sequence number.") \
  XX(INVALID_PRODUCER_EPOCH, 47, false, "Producer attempted to produce with an old epoch.") \
  XX(INVALID_TXN_STATE, 48, false, "The producer attempted a transactional operation in an invalid state.") \
  XX(INVALID_PRODUCER_ID_MAPPING, 49, false, "The producer attempted to use a producer id which is not currently assigned to its transactional id.") \
  XX(INVALID_TRANSACTION_TIMEOUT, 50, false, "The transaction timeout is larger than the maximum value allowed by the broker.") \
  XX(CONCURRENT_TRANSACTIONS, 51, true, "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.") \
  XX(TRANSACTION_COORDINATOR_FENCED, 52, false, "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer.") \
  XX(TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 53, false, "Transactional Id authorization failed.") \
  XX(SECURITY_DISABLED, 54, false, "Security features are disabled.") \
  XX(OPERATION_NOT_ATTEMPTED, 55, false, "The broker did not attempt to execute this operation.") \
  XX(KAFKA_STORAGE_ERROR, 56, true, "Disk error when trying to access log file on the disk.") \
  XX(LOG_DIR_NOT_FOUND, 57, false, "The user-specified log directory is not found in the broker config.") \
  XX(SASL_AUTHENTICATION_FAILED, 58, false, "SASL Authentication failed.") \
  XX(UNKNOWN_PRODUCER_ID, 59, false, "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question.") \
  XX(REASSIGNMENT_IN_PROGRESS, 60, false, "A partition reassignment is in progress.") \
  XX(DELEGATION_TOKEN_AUTH_DISABLED, 61, false, "Delegation Token feature is not enabled.") \
  XX(DELEGATION_TOKEN_NOT_FOUND, 62, false, "Delegation Token is not found on server.") \
  XX(DELEGATION_TOKEN_OWNER_MISMATCH, 63, false, "Specified Principal is not valid Owner/Renewer.") \
  XX(DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, 64, false, "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels.") \
  XX(DELEGATION_TOKEN_AUTHORIZATION_FAILED, 65, false, "Delegation Token authorization failed.") \
  XX(DELEGATION_TOKEN_EXPIRED, 66, false, "Delegation Token is expired.") \
  XX(INVALID_PRINCIPAL_TYPE, 67, false, "Supplied principalType is not supported.") \
  XX(NON_EMPTY_GROUP, 68, false, "The group is not empty.") \
  XX(GROUP_ID_NOT_FOUND, 69, false, "The group id does not exist.") \
  XX(FETCH_SESSION_ID_NOT_FOUND, 70, true, "The fetch session ID was not found.") \
  XX(INVALID_FETCH_SESSION_EPOCH, 71, true, "The fetch session epoch is invalid.") \
  XX(LISTENER_NOT_FOUND, 72, true, "There is no listener on the leader broker that matches the listener on which metadata request was processed.") \
  XX(TOPIC_DELETION_DISABLED, 73, false, "Topic deletion is disabled.") \
  XX(FENCED_LEADER_EPOCH, 74, true, "The leader epoch in the request is older than the epoch on the broker.") \
  XX(UNKNOWN_LEADER_EPOCH, 75, true, "The leader epoch in the request is newer than the epoch on the broker.") \
  XX(UNSUPPORTED_COMPRESSION_TYPE, 76, false, "The requesting client does not support the compression type of given partition.") \
  XX(STALE_BROKER_EPOCH, 77, false, "Broker epoch has changed.") \
  XX(OFFSET_NOT_AVAILABLE, 78, true, "The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.") \
  XX(MEMBER_ID_REQUIRED, 79, false, "The group member needs to have a valid member id before actually entering a consumer group.") \
  XX(PREFERRED_LEADER_NOT_AVAILABLE, 80, true, "The preferred leader was not available.") \
  XX(GROUP_MAX_SIZE_REACHED, 81, false, "The consumer group has reached its max size.") \
  XX(FENCED_INSTANCE_ID, 82, false, "The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id.") \
  XX(ELIGIBLE_LEADERS_NOT_AVAILABLE, 83, true, "Eligible topic partition leaders are not available.") \
  XX(ELECTION_NOT_NEEDED, 84, true, "Leader election not needed for topic partition.") \
  XX(NO_REASSIGNMENT_IN_PROGRESS, 85, false, "No partition reassignment is in progress.") \
  XX(GROUP_SUBSCRIBED_TO_TOPIC, 86, false, "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.") \
  XX(INVALID_RECORD, 87, false, "This record has failed the validation on broker and hence will be rejected.") \
  XX(UNSTABLE_OFFSET_COMMIT, 88, true, "There are unstable offsets that need to be cleared.") \
  XX(THROTTLING_QUOTA_EXCEEDED, 89, true, "The throttling quota has been exceeded.") \
  XX(PRODUCER_FENCED, 90, false, "There is a newer producer with the same transactionalId which fences the current one.") \
  XX(RESOURCE_NOT_FOUND, 91, false, "A request illegally referred to a resource that does not exist.") \
  XX(DUPLICATE_RESOURCE, 92, false, "A request illegally referred to the same resource twice.") \
  XX(UNACCEPTABLE_CREDENTIAL, 93, false, "Requested credential would not meet criteria for acceptability.") \
  XX(INCONSISTENT_VOTER_SET, 94, false, "Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters.") \
  XX(INVALID_UPDATE_VERSION, 95, false, "The given update version was invalid.") \
  XX(FEATURE_UPDATE_FAILED, 96, false, "Unable to update finalized features due to an unexpected server error.") \
  XX(PRINCIPAL_DESERIALIZATION_FAILURE, 97, false, "Request principal deserialization failed during forwarding.") \
  XX(SNAPSHOT_NOT_FOUND, 98, false, "Requested snapshot was not found.") \
  XX(POSITION_OUT_OF_RANGE, 99, false, "Requested position is not greater than or equal to zero, and less than the size of the snapshot.") \
  XX(UNKNOWN_TOPIC_ID, 100, true, "This server does not host this topic ID.") \
  XX(DUPLICATE_BROKER_REGISTRATION, 101, false, "This broker ID is already in use.") \
  XX(BROKER_ID_NOT_REGISTERED, 102, false, "The given broker ID was not registered.") \
  XX(INCONSISTENT_TOPIC_ID, 103, true, "The log's topic ID did not match the topic ID in the request.") \
  XX(INCONSISTENT_CLUSTER_ID, 104, false, "The clusterId in the request does not match that found on the server.") \
  XX(TRANSACTIONAL_ID_NOT_FOUND, 105, false, "The transactionalId could not be found.") \
  XX(FETCH_SESSION_TOPIC_ID_ERROR, 106, true, "The fetch session encountered inconsistent topic ID usage.") \
  XX(INELIGIBLE_REPLICA, 107, false, "The new ISR contains at least one ineligible replica.") \
  XX(NEW_LEADER_ELECTED, 108, false, "The AlterPartition request successfully updated the partition state but the leader has changed.") \
  XX(OFFSET_MOVED_TO_TIERED_STORAGE, 109, false, "The requested offset is moved to tiered storage.") \
  XX(FENCED_MEMBER_EPOCH, 110, false, "The member epoch is fenced by the group coordinator.") \
  XX(UNRELEASED_INSTANCE_ID, 111, false, "The instance ID is still used by another member in the consumer group.") \
  XX(UNSUPPORTED_ASSIGNOR, 112, false, "The assignor or its version range is not supported by the consumer group.") \
  XX(STALE_MEMBER_EPOCH, 113, false, "The member epoch is stale.") \
  XX(MISMATCHED_ENDPOINT_TYPE, 114, false, "The request was sent to an endpoint of the wrong type.") \
  XX(UNSUPPORTED_ENDPOINT_TYPE, 115, false, "This endpoint type is not supported yet.") \
  XX(UNKNOWN_CONTROLLER_ID, 116, false, "This controller ID is not known.") \
  XX(UNKNOWN_SUBSCRIPTION_ID, 117, false, "Client sent a push telemetry request with an invalid or outdated subscription ID.") \
  XX(TELEMETRY_TOO_LARGE, 118, false, "Client sent a push telemetry request larger than the maximum size the broker will accept.") \
  XX(INVALID_REGISTRATION, 119, false, "The controller has considered the broker registration to be invalid.") \
  XX(TRANSACTION_ABORTABLE, 120, false, "The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID.")

typedef enum {
#define RILL__KE_ENUM(name, code, retriable, msg) RILL_KAFKA_ERR_##name = code,
  RILL_KAFKA_ERROR_MAP(RILL__KE_ENUM)
#undef RILL__KE_ENUM
} rill_kafka_error;

/* "UNKNOWN_TOPIC_OR_PARTITION", or NULL for a code not in the table.
 * (transfer none): static. */
RILL_API const char *rill_kafka_error_name(int16_t code);
/* Kafka's standard message, or NULL for an unknown code. (transfer none) */
RILL_API const char *rill_kafka_error_message(int16_t code);
/* True when a client may retry the request as is; false for unknown codes. */
RILL_API bool rill_kafka_error_retriable(int16_t code);

G_END_DECLS
