// Graph interface blocks: AgentInputBlock and its typed variants, AgentOutputBlock, NoteBlock.
import { type TSchema, Type } from "@sinclair/typebox";
import { AnyValue, Dict, inputs, interfaceOutputs, Nullable, outputs } from "./fields.js";
import { pyStr } from "./python.js";
import { renderTemplate } from "./sandbox/index.js";
import { type Block, type BlockTestCase, defineBlock } from "./sdk.js";

/** AgentInputBlock's pins; the typed variants replace `value` and add their own settings. */
const inputPins = {
  name: Type.String({ description: "The name of the input." }),
  value: AnyValue({ description: "The value to be passed as input.", default: null }),
  title: Nullable(Type.String(), { description: "The title of the input.", default: null, advanced: true }),
  description: Nullable(Type.String(), { description: "The description of the input.", default: null, advanced: true }),
  advanced: Type.Boolean({
    description: "Whether to show the input in the advanced section, if the field is not required.",
    default: false,
    advanced: true,
  }),
  secret: Type.Boolean({
    description: "Whether the input should be treated as a secret.",
    default: false,
    advanced: true,
  }),
};

/** What every AgentInputBlock variant shares: uiType Input, static output, INPUT+BASIC. */
function inputBlock(spec: {
  id: string;
  name: string;
  description: string;
  value: TSchema;
  extra?: Record<string, TSchema>;
  result: TSchema;
  test: BlockTestCase[];
  run?: (input: Record<string, unknown>) => unknown;
}): Block {
  const { value, extra, result, run } = spec;
  const { name: _name, value: _value, ...settings } = inputPins;
  return defineBlock({
    id: spec.id,
    name: spec.name,
    description: spec.description,
    categories: ["INPUT", "BASIC"],
    blockType: "Input",
    staticOutput: true,
    input: inputs({ name: inputPins.name, value, ...settings, ...extra }),
    output: interfaceOutputs({ result }),
    async *run(input) {
      const out = run ? run(input) : input.value;
      // An input without a value produces nothing, so nodes waiting on it stay unrun.
      if (out !== null && out !== undefined) yield ["result", out];
    },
    test: spec.test,
  });
}

const example = (name: string, value: unknown, description: string, more: Record<string, unknown> = {}) => ({
  input: { value, name, description, ...more },
  output: [["result", value] as const],
});

export const agentInput = inputBlock({
  id: "c0a8e994-ebf1-4a9c-a4d8-89d09c86741b",
  name: "AgentInputBlock",
  description:
    "A block that accepts and processes user input values within a workflow, supporting various input types and validation.",
  value: inputPins.value,
  result: AnyValue({ description: "The value passed as input." }),
  test: [example("input_1", "Hello, World!", "Example test input."), example("input_2", 42, "Example numeric input.")],
});

const defaultValue = (schema: TSchema, description: string) =>
  Nullable(schema, { description, default: null, advanced: false, title: "Default Value" });

export const agentShortTextInput = inputBlock({
  id: "7fcd3bcb-8e1b-4e69-903d-32d3d4a92158",
  name: "AgentShortTextInputBlock",
  description: "Block for short text input (single-line).",
  value: defaultValue(Type.String({ format: "short-text" }), "Short text input."),
  result: Type.String({ description: "Short text result." }),
  test: [
    example("short_text_1", "Hello", "Short text example 1"),
    example("short_text_2", "Quick test", "Short text example 2"),
  ],
});

export const agentLongTextInput = inputBlock({
  id: "90a56ffb-7024-4b2b-ab50-e26c5e5ab8ba",
  name: "AgentLongTextInputBlock",
  description: "Block for long text input (multi-line).",
  value: defaultValue(Type.String({ format: "long-text" }), "Long text input (potentially multi-line)."),
  result: Type.String({ description: "Long text result." }),
  test: [
    example("long_text_1", "Lorem ipsum dolor sit amet...", "Long text example 1"),
    example("long_text_2", "Another multiline text input.", "Long text example 2"),
  ],
});

export const agentNumberInput = inputBlock({
  id: "96dae2bb-97a2-41c2-bd2f-13a3b5a8ea98",
  name: "AgentNumberInputBlock",
  description: "Block for number input.",
  value: defaultValue(Type.Integer(), "Number input."),
  result: Type.Integer({ description: "Number result." }),
  test: [example("number_input_1", 42, "Number example 1"), example("number_input_2", 314, "Number example 2")],
});

export const agentDateInput = inputBlock({
  id: "7e198b09-4994-47db-8b4d-952d98241817",
  name: "AgentDateInputBlock",
  description: "Block for date input.",
  value: defaultValue(Type.String({ format: "date" }), "Date input (YYYY-MM-DD)."),
  result: Type.String({ format: "date", description: "Date result." }),
  test: [
    example("date_input_1", "2025-03-19", "Example date input 1"),
    example("date_input_2", "2023-12-31", "Example date input 2"),
  ],
});

export const agentTimeInput = inputBlock({
  id: "2a1c757e-86cf-4c7e-aacf-060dc382e434",
  name: "AgentTimeInputBlock",
  description: "Block for time input.",
  value: defaultValue(Type.String({ format: "time" }), "Time input (HH:MM:SS)."),
  result: Type.String({ format: "time", description: "Time result." }),
  test: [example("time_input_1", "09:30:00", "Time example 1"), example("time_input_2", "23:59:59", "Time example 2")],
});

export const agentFileInput = inputBlock({
  id: "95ead23f-8283-4654-aef3-10c053b74a31",
  name: "AgentFileInputBlock",
  description: "Block for file upload input (string path for example).",
  value: defaultValue(Type.String({ format: "file" }), "Path or reference to an uploaded file."),
  extra: {
    base_64: Type.Boolean({
      description:
        "Whether to produce output in base64 format (not recommended; you can pass the file reference across blocks).",
      default: false,
      advanced: true,
      title: "Produce Base64 Output",
    }),
  },
  result: Type.String({ description: "File reference/path result." }),
  // There is no workspace file store here: the reference (data URI, URL or path) passes through as given.
  run: (input) => (input.value ? input.value : undefined),
  test: [
    {
      input: { value: "data:image/png;base64,MQ==", name: "file_upload_1", description: "Example file upload 1" },
      output: [["result", (v: unknown) => typeof v === "string"]],
    },
  ],
});

export const agentDropdownInput = inputBlock({
  id: "655d6fdf-a334-421c-b733-520549c07cd1",
  name: "AgentDropdownInputBlock",
  description: "Block for dropdown text selection.",
  value: defaultValue(Type.String(), "Text selected from a dropdown."),
  extra: {
    // AutoGPT also accepts the legacy name `placeholder_values` for this pin.
    options: Type.Array(Type.Unknown(), {
      title: "Dropdown Options",
      description:
        "If provided, renders the input as a dropdown selector restricted to these values. Leave empty for free-text input.",
      default: [],
      advanced: false,
      secret: false,
    }),
  },
  result: Type.String({ description: "Selected dropdown value." }),
  test: [
    example("dropdown_1", "Option A", "Dropdown example 1", { options: ["Option A", "Option B", "Option C"] }),
    example("dropdown_2", "Option C", "Dropdown example 2", { options: ["Option A", "Option B", "Option C"] }),
  ],
});

export const agentToggleInput = inputBlock({
  id: "cbf36ab5-df4a-43b6-8a7f-f7ed8652116e",
  name: "AgentToggleInputBlock",
  description: "Block for boolean toggle input.",
  value: Type.Boolean({
    description: "Boolean toggle input.",
    default: false,
    advanced: false,
    title: "Default Value",
  }),
  result: Type.Boolean({ description: "Boolean toggle result." }),
  test: [example("toggle_1", true, "Toggle example 1"), example("toggle_2", false, "Toggle example 2")],
});

export const agentTableInput = inputBlock({
  id: "5603b273-f41e-4020-af7d-fbc9c6a8d928",
  name: "AgentTableInputBlock",
  description: "Block for table data input with customizable headers.",
  value: Nullable(Type.Array(Dict()), {
    description: "The table data as a list of dictionaries.",
    default: null,
    advanced: false,
    title: "Default Value",
  }),
  extra: {
    column_headers: Type.Array(Type.String(), {
      description: "Column headers for the table.",
      default: ["Column 1", "Column 2", "Column 3"],
      advanced: false,
      title: "Column Headers",
    }),
  },
  result: Type.Array(Dict(), { description: "The table data as a list of dictionaries with headers as keys." }),
  run: (input) => input.value ?? [],
  test: [
    {
      input: {
        name: "test_table",
        column_headers: ["Name", "Age", "City"],
        value: [
          { Name: "John", Age: "30", City: "New York" },
          { Name: "Jane", Age: "25", City: "London" },
        ],
        description: "Example table input",
      },
      output: [
        [
          "result",
          [
            { Name: "John", Age: "30", City: "New York" },
            { Name: "Jane", Age: "25", City: "London" },
          ],
        ],
      ],
    },
    { input: { name: "empty_table" }, output: [["result", []]] },
  ],
});

export const agentOutput = defineBlock({
  id: "363ae599-353e-4804-937e-b2ee3cef3da4",
  name: "AgentOutputBlock",
  description:
    "A block that records and formats workflow results for display to users, with optional Jinja2 template formatting support.",
  categories: ["OUTPUT", "BASIC"],
  blockType: "Output",
  staticOutput: true,
  input: inputs({
    value: AnyValue({ description: "The value to be recorded as output.", default: null, advanced: false }),
    name: Type.String({ description: "The name of the output." }),
    title: Nullable(Type.String(), { description: "The title of the output.", default: null, advanced: true }),
    description: Nullable(Type.String(), {
      description: "The description of the output.",
      default: null,
      advanced: true,
    }),
    format: Type.String({
      description: "The format string to be used to format the recorded_value. Use Jinja2 syntax.",
      default: "",
      advanced: true,
    }),
    escape_html: Type.Boolean({
      default: false,
      advanced: true,
      description:
        "Whether to escape special characters in the inserted values to be HTML-safe. Enable for HTML output, disable for plain text.",
    }),
    advanced: Type.Boolean({ description: "Whether to treat the output as advanced.", default: false, advanced: true }),
    secret: Type.Boolean({
      description: "Whether the output should be treated as a secret.",
      default: false,
      advanced: true,
    }),
  }),
  output: interfaceOutputs({
    output: AnyValue({ description: "The value recorded as output." }),
    name: AnyValue({ description: "The name of the value recorded as output." }),
  }),
  async *run({ value, name, format, escape_html }, ctx) {
    if (!format) {
      yield ["output", value];
      yield ["name", name];
      return;
    }
    try {
      const text = await renderTemplate(format, { [name]: value }, { autoescape: escape_html, signal: ctx.signal });
      yield ["output", text];
    } catch (error) {
      // AutoGPT reports a broken format in the output itself rather than failing the node.
      yield ["output", `Error: ${(error as Error).message}, ${pyStr(value)}`];
    }
  },
  test: [
    {
      input: {
        value: "Hello, World!",
        name: "output_1",
        description: "This is a test output.",
        format: "{{ output_1 }}!!",
      },
      output: [["output", "Hello, World!!!"]],
    },
    {
      input: { value: "42", name: "output_2", description: "This is another test output.", format: "{{ output_2 }}" },
      output: [["output", "42"]],
    },
    {
      input: { value: { a: 1 }, name: "output_3" },
      output: [
        ["output", { a: 1 }],
        ["name", "output_3"],
      ],
    },
    {
      input: { value: "<b>", name: "html", format: "<p>{{ html }}</p>", escape_html: true },
      output: [["output", "<p>&lt;b&gt;</p>"]],
    },
  ],
});

export const note = defineBlock({
  id: "cc10ff7b-7753-4ff2-9af6-9399b1a7eddc",
  name: "NoteBlock",
  description:
    "A visual annotation block that displays a sticky note in the workflow editor for documentation and organization purposes.",
  categories: ["BASIC"],
  blockType: "Note",
  input: inputs({ text: Type.String({ description: "The text to display in the sticky note." }) }),
  output: outputs({ output: Type.String({ description: "The text to display in the sticky note." }) }),
  async *run({ text }) {
    yield ["output", text];
  },
  test: [{ input: { text: "Hello, World!" }, output: [["output", "Hello, World!"]] }],
});

export const ioBlocks: Block[] = [
  agentInput,
  agentOutput,
  agentShortTextInput,
  agentLongTextInput,
  agentNumberInput,
  agentDateInput,
  agentTimeInput,
  agentFileInput,
  agentDropdownInput,
  agentToggleInput,
  agentTableInput,
  note,
];
