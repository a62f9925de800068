package io.runnel.api;

import java.util.Set;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.utils.Utils;

/**
 * The bit fields Metadata, DescribeCluster and DescribeGroups return when a client asks which
 * operations it may perform. Without an authorizer every operation on a resource is allowed.
 */
final class AuthorizedOperations {

    private AuthorizedOperations() {}

    /** What the protocol sends when the client did not ask. */
    static final int NOT_REQUESTED = Integer.MIN_VALUE;

    static final int TOPIC = bits(Set.of(
            AclOperation.READ,
            AclOperation.WRITE,
            AclOperation.CREATE,
            AclOperation.DELETE,
            AclOperation.ALTER,
            AclOperation.DESCRIBE,
            AclOperation.DESCRIBE_CONFIGS,
            AclOperation.ALTER_CONFIGS));

    static final int CLUSTER = bits(Set.of(
            AclOperation.CREATE,
            AclOperation.ALTER,
            AclOperation.DESCRIBE,
            AclOperation.CLUSTER_ACTION,
            AclOperation.DESCRIBE_CONFIGS,
            AclOperation.ALTER_CONFIGS,
            AclOperation.IDEMPOTENT_WRITE));

    static final int GROUP = bits(Set.of(AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE));

    private static int bits(Set<AclOperation> operations) {
        return Utils.to32BitField(
                operations.stream().map(AclOperation::code).collect(java.util.stream.Collectors.toSet()));
    }
}
