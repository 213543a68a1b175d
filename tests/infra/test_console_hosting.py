"""template.yaml: the console's hosting (issue 17, docs/console.md): a private bucket read only by CloudFront through
origin access control, the API stage as the /v1/* origin of the same distribution, the response headers policy with
the local server's CSP (plus the Cognito domain for the token exchange), and a public Cognito client for people."""

from __future__ import annotations

from typing import Any

from local.static_site import CONTENT_SECURITY_POLICY
from tests.infra.test_template import props, resources

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def one(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources(template, resource_type)
    assert len(found) == 1, (resource_type, sorted(found))
    name, resource = next(iter(found.items()))
    return name, props(resource)


def distribution(template: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = one(template, "AWS::CloudFront::Distribution")[1]["DistributionConfig"]
    return config


def test_the_console_bucket_is_private_encrypted_and_owner_enforced(template: dict[str, Any]) -> None:
    _, bucket = one(template, "AWS::S3::Bucket")
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert "WebsiteConfiguration" not in bucket  # no S3 website endpoint: CloudFront is the only way in


def test_only_this_distribution_reads_the_bucket_and_only_over_tls(template: dict[str, Any]) -> None:
    bucket_id, _ = one(template, "AWS::S3::Bucket")
    distribution_id = next(iter(resources(template, "AWS::CloudFront::Distribution")))
    _, policy = one(template, "AWS::S3::BucketPolicy")
    assert policy["Bucket"] == {"Ref": bucket_id}
    statements = policy["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    allow = allows[0]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert "${" + distribution_id + "}" in source["Fn::Sub"]  # this distribution, not any CloudFront
    deny = next(s for s in statements if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_bucket_origin_uses_origin_access_control(template: dict[str, Any]) -> None:
    oac_id, oac = one(template, "AWS::CloudFront::OriginAccessControl")
    config = oac["OriginAccessControlConfig"]
    assert (config["OriginAccessControlOriginType"], config["SigningBehavior"], config["SigningProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )
    bucket_id, _ = one(template, "AWS::S3::Bucket")
    origins = {o["Id"]: o for o in distribution(template)["Origins"]}
    s3 = next(o for o in origins.values() if "S3OriginConfig" in o)
    assert s3["DomainName"] == {"Fn::GetAtt": [bucket_id, "RegionalDomainName"]}
    assert s3["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert s3["S3OriginConfig"]["OriginAccessIdentity"] == ""  # no legacy OAI
    assert distribution(template)["DefaultCacheBehavior"]["TargetOriginId"] == s3["Id"]


def test_the_api_is_the_v1_origin_of_the_same_distribution_uncached(template: dict[str, Any]) -> None:
    config = distribution(template)
    api_origin = next(o for o in config["Origins"] if "CustomOriginConfig" in o)
    assert "${RiskApi}.execute-api." in api_origin["DomainName"]["Fn::Sub"]
    assert api_origin["OriginPath"] == {"Fn::Sub": "/${StageName}"}
    assert api_origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert set(behaviours) == {"/v1/*"}
    v1 = behaviours["/v1/*"]
    assert v1["TargetOriginId"] == api_origin["Id"]
    assert v1["CachePolicyId"] == CACHING_DISABLED and v1["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert {"GET", "PUT", "POST", "DELETE"} <= set(v1["AllowedMethods"])
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behaviour["ViewerProtocolPolicy"] in ("https-only", "redirect-to-https")


def test_every_path_gets_the_local_security_headers_and_hsts(template: dict[str, Any]) -> None:
    policy_id, policy = one(template, "AWS::CloudFront::ResponseHeadersPolicy")
    headers = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    cognito = "https://${AuthDomainPrefix}-${AWS::AccountId}.auth.${AWS::Region}.amazoncognito.com"
    # the local server's CSP, with the Cognito domain added to connect-src (and nothing else changed)
    assert csp == CONTENT_SECURITY_POLICY.replace("connect-src 'self'", f"connect-src 'self' {cognito}")
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    config = distribution(template)
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": policy_id}


def test_directory_urls_of_the_console_and_docs_serve_their_index(template: dict[str, Any]) -> None:
    function_id, function = one(template, "AWS::CloudFront::Function")
    assert "index.html" in function["FunctionCode"]
    associations = distribution(template)["DefaultCacheBehavior"]["FunctionAssociations"]
    assert associations == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionMetadata.FunctionARN"]}}
    ]


def test_the_console_client_is_public_code_grant_with_the_api_scopes(template: dict[str, Any]) -> None:
    clients = {name: props(r) for name, r in resources(template, "AWS::Cognito::UserPoolClient").items()}
    console = [c for c in clients.values() if c.get("AllowedOAuthFlows") == ["code"]]
    assert len(console) == 1
    client = console[0]
    assert client["GenerateSecret"] is False  # a browser cannot keep a secret: PKCE instead
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert set(client["AllowedOAuthScopes"]) == {"risk/read", "risk/portfolio"}  # no admin scope for the console
    distribution_id = next(iter(resources(template, "AWS::CloudFront::Distribution")))
    expected = {"Fn::Sub": "https://${" + distribution_id + ".DomainName}/console/"}
    assert client["CallbackURLs"] == [expected] and client["LogoutURLs"] == [expected]
    assert "implicit" not in client["AllowedOAuthFlows"]
