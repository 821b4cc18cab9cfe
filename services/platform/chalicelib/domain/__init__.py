"""Platform rules in plain Python: no HTTP, no DynamoDB, no Cognito."""
