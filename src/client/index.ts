// The package root is the job API of ../shared/API.md and nothing else: every worker process imports it, so
// it must stay free of CLI, SDK and schema code. The API arrives with the runtime.
export {};
