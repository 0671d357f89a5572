import ArgumentParser
import ConfigValues
import Foundation
import Ingest
import PostgreSQL
import Analytics

/// Where the analytics commands find PostgreSQL: `--database-url`, else the `PG*` variables.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "libpq conninfo or postgresql:// URI. Without it, the standard PG* variables and ~/.pgpass apply.")
    var databaseURL: String?

    /// Opens a connection, or fails with the connection error's sentence (exit status 1).
    func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(url: databaseURL.map(Secret.init), applicationName: "trackingproxy-analytics")
    }
}

/// Runs `body` with a connection and closes it afterwards; a database failure becomes a
/// one-sentence error (exit status 1) and an input error a `ValidationError` (exit status 64).
func withConnection<T>(_ database: DatabaseOptions, _ body: (ActivityStore) async throws -> T) async throws -> T {
    // A connection failure is an StorageError: ArgumentParser prints its sentence, exit status 1.
    let connection = try await database.connect()
    do {
        let result = try await body(ActivityStore(connection: connection))
        await connection.close()
        return result
    } catch let error as StorageError where error.isInvalidInput {
        await connection.close()
        throw ValidationError("\(error.message).")
    } catch {
        await connection.close()
        throw error
    }
}
