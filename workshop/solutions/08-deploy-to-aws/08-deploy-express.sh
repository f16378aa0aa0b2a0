# Module 8, exercise: a second, separate stack whose workflow is an Express workflow. A stack name
# of its own keeps it apart from serverless-orders-dev. --parameter-overrides on the command line
# replaces samconfig.toml's list (parameters not named take the template's defaults), so Stage is
# given again.
sam build
sam deploy --stack-name serverless-orders-express \
  --parameter-overrides Stage=dev WorkflowType=EXPRESS \
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --resolve-s3
