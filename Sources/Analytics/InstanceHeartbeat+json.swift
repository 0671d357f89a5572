import Foundation
import JSONWriting

extension InstanceHeartbeat {
    /// The instance as a member of `system-health`'s `instances` array: snake-case keys, times in
    /// ISO 8601 UTC with milliseconds, the age in whole seconds.
    var json: String {
        let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var object = JSONText.Object()
        object.add("instance_id", string: instanceID)
        object.add("hostname", string: hostname)
        object.add("version", string: version)
        object.add("state", string: state)
        object.add("started_at", string: startedAt.formatted(time))
        object.add("heartbeat_at", string: heartbeatAt.formatted(time))
        object.add("age_seconds", raw: JSONText.number(ageSeconds.rounded()))
        object.add("queue_depth", raw: String(queueDepth))
        object.add("spool_bytes", raw: String(spoolBytes))
        object.add("spool_records", raw: String(spoolRecords))
        object.add("last_write", string: lastWrite?.formatted(time))
        object.add("rows_written", raw: String(rowsWritten))
        object.add("dropped", raw: String(dropped))
        object.add("dead_lettered", raw: String(deadLettered))
        return object.text
    }
}
