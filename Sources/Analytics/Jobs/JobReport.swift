import JSONWriting

/// What one run of a job did (or, in a dry run, would do): a sentence and named figures.
public struct JobReport: Sendable, Equatable {
    /// One sentence for people and logs.
    public var summary: String
    /// Named whole-number figures, in the order the job reports them; `job_runs.figures`.
    public var figures: [Figure]

    /// One named figure.
    public struct Figure: Sendable, Equatable {
        public var name: String
        public var value: Int

        public init(_ name: String, _ value: Int) {
            self.name = name
            self.value = value
        }
    }

    public init(summary: String, figures: [Figure]) {
        self.summary = summary
        self.figures = figures
    }

    /// The figure named `name`, or nil.
    public subscript(name: String) -> Int? { figures.first { $0.name == name }?.value }

    /// The figures as a JSON object.
    public var figuresJSON: String {
        var object = JSONText.Object()
        for figure in figures { object.add(figure.name, raw: String(figure.value)) }
        return object.text
    }
}
