/// Emits Pike VM instructions for a `RegexNode`.
struct RegexCompiler {
    var program: [Instruction] = []

    mutating func emit(_ node: RegexNode) {
        guard program.count <= 20_000 else { return }
        switch node {
        case .empty: break
        case let .set(set): program.append(.byteSet(set))
        case let .concat(nodes): for node in nodes { emit(node) }
        case let .group(inner, capture):
            if let capture { program.append(.save(capture * 2)) }
            emit(inner)
            if let capture { program.append(.save(capture * 2 + 1)) }
        case let .alternation(branches):
            var jumps: [Int] = []
            for (index, branch) in branches.enumerated() {
                if index < branches.count - 1 {
                    let split = program.count
                    program.append(.split(split + 1, 0))
                    emit(branch)
                    jumps.append(program.count)
                    program.append(.jump(0))
                    program[split] = .split(split + 1, program.count)
                } else {
                    emit(branch)
                }
            }
            for jump in jumps { program[jump] = .jump(program.count) }
        case let .repetition(inner, min, max):
            for _ in 0..<min { emit(inner) }
            if let max {
                var splits: [Int] = []
                for _ in min..<max {
                    splits.append(program.count)
                    program.append(.split(program.count + 1, 0))
                    emit(inner)
                }
                for split in splits { program[split] = .split(split + 1, program.count) }
            } else {
                let split = program.count
                program.append(.split(split + 1, 0))
                emit(inner)
                program.append(.jump(split))
                program[split] = .split(split + 1, program.count)
            }
        }
    }
}
