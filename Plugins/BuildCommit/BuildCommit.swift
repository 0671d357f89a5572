import Foundation
import PackagePlugin

/// Bakes the commit being built into the executable, for `trackingproxy --version`.
///
/// Before every build of the target that uses it, a prebuild command writes `BuildCommit.swift`
/// (`enum BuildCommit { static let id = "…" }`) into the plugin's work directory under `.build`,
/// never into the source tree, so a build cannot dirty the checkout and nothing generated is
/// committed. The id is `git rev-parse --short=12 HEAD`, with `-dirty` when tracked files differ
/// from it, or `unknown` outside a git checkout (a source tarball) or without git. The file is
/// replaced only when its text changes, so an unchanged commit recompiles nothing.
///
/// Why a plugin: SwiftPM has no compile-time value other than a source file, `-D` carries no
/// value in Swift, and `unsafeFlags` would make the package unusable as a dependency.
@main
struct BuildCommitPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        return [
            .prebuildCommand(
                displayName: "Writing the commit of \(context.package.directoryURL.lastPathComponent) into BuildCommit.swift",
                executable: URL(filePath: "/bin/sh"),
                arguments: ["-c", Self.script, "build-commit", context.package.directoryURL.path, output.path],
                outputFilesDirectory: output
            )
        ]
    }

    /// `sh -c script build-commit PACKAGE_DIR OUTPUT_DIR`. `--no-optional-locks`: a build must
    /// never take the index lock a concurrent `git commit` needs.
    static let script = #"""
        set -u
        mkdir -p "$2"
        id=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null) || id=unknown
        if [ "$id" != unknown ] && [ -n "$(git -C "$1" --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null)" ]; then
            id="$id-dirty"
        fi
        printf '/// Written by the BuildCommit plugin at build time: the commit this binary was built from.\nenum BuildCommit {\n    static let id = "%s"\n}\n' "$id" > "$2/BuildCommit.swift.new"
        if cmp -s "$2/BuildCommit.swift.new" "$2/BuildCommit.swift"; then rm -f "$2/BuildCommit.swift.new"; else mv "$2/BuildCommit.swift.new" "$2/BuildCommit.swift"; fi
        """#
}
