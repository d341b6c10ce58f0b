"""The rendered overlays: valid Kubernetes and operator objects, and the properties an operator relies on."""

import copy
import re
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml
from conftest import DEPLOY, NAMEKO_SERVICES, OVERLAYS, SERVICES, of_kind, pod_specs

KUBERNETES_VERSION = "1.37.0"
CRD_DIR = DEPLOY / "crds"


def strict(schema):
    """An openAPIV3Schema as JSON Schema that rejects fields it does not list (as kubectl --validate=strict)."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if not isinstance(node, dict):
            return
        if node.get("x-kubernetes-int-or-string"):
            node.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
        props = node.get("properties")
        if props is not None and not node.get("x-kubernetes-preserve-unknown-fields"):
            node.setdefault("additionalProperties", False)
        for value in list(node.get("properties", {}).values()) + [node.get("items"), node.get("additionalProperties")]:
            walk(value)
        for branch in node.get("anyOf", []):
            walk(branch)

    walk(schema)
    return schema


def load_crd_schemas() -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> strict schema, from the upstream CRD files and the subsets (see crds/README.md)."""
    schemas, origin = {}, {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for crd in filter(None, yaml.safe_load_all(path.read_text())):
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                key = (f"{group}/{version['name']}", kind)
                if key in schemas:
                    raise ValueError(f"{key} is defined in {origin[key]} and {path.name}: keep one")
                schemas[key], origin[key] = strict(version["schema"]["openAPIV3Schema"]), path.name
    return schemas


CRD_SCHEMAS = load_crd_schemas()


def is_custom(doc) -> bool:
    return (
        (doc["apiVersion"], doc["kind"]) in CRD_SCHEMAS
        or "." in doc["apiVersion"].split("/")[0]
        and not doc["apiVersion"].split("/")[0].endswith("k8s.io")
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_and_every_object_lives_in_the_marktplatz_namespace(rendered, overlay):
    docs = rendered[overlay]
    assert docs, f"{overlay} rendered nothing"
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "marktplatz", f"{doc['kind']}/{doc['metadata']['name']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_builtin_objects_are_valid_against_the_kubernetes_schemas(rendered, overlay):
    problems = []
    for doc in rendered[overlay]:
        if is_custom(doc):
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as err:
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {getattr(err, 'message', err)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources_are_valid_against_the_stored_operator_crds(rendered, overlay):
    problems = []
    for doc in filter(is_custom, rendered[overlay]):
        schema = CRD_SCHEMAS.get((doc["apiVersion"], doc["kind"]))
        if schema is None:
            problems.append(f"{doc['apiVersion']} {doc['kind']}: no CRD schema stored under deploy/crds")
            continue
        for error in jsonschema.Draft7Validator(schema).iter_errors(doc):
            where = "/".join(map(str, error.absolute_path))
            problems.append(f"{doc['kind']}/{doc['metadata']['name']} at {where}: {error.message}")
    assert not problems, "\n".join(problems)


def test_crd_check_rejects_a_misspelt_field():
    cluster = {"apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster", "metadata": {"name": "x"}}
    schema = CRD_SCHEMAS[("rabbitmq.com/v1beta1", "RabbitmqCluster")]

    assert jsonschema.Draft7Validator(schema).is_valid({**cluster, "spec": {"replicas": 3}})
    assert not jsonschema.Draft7Validator(schema).is_valid({**cluster, "spec": {"replica": 3}})


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_a_deployment_a_service_probes_and_limits(rendered, overlay):
    docs = rendered[overlay]
    deployments, services = of_kind(docs, "Deployment"), of_kind(docs, "Service")
    for name in SERVICES:
        assert name in deployments, f"no Deployment {name}"
        assert name in services, f"no Service {name}"
        selector = services[name]["spec"]["selector"]
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), f"Service {name} selects no pod of its Deployment"
        for container in deployments[name]["spec"]["template"]["spec"]["containers"]:
            assert "readinessProbe" in container and "livenessProbe" in container, f"{name}: probes"
            resources = container.get("resources", {})
            for key in ("cpu", "memory"):
                assert key in resources.get("requests", {}), f"{name}: no {key} request"
                assert key in resources.get("limits", {}), f"{name}: no {key} limit"
    for name in NAMEKO_SERVICES:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["exec"]["command"] == ["/usr/local/bin/marktplatz-start", "healthcheck"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_container_runs_as_root_or_can_gain_privileges(rendered, overlay):
    checked = 0
    for where, spec in pod_specs(rendered[overlay]):
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True, f"{where}: pod runAsNonRoot"
        assert spec.get("automountServiceAccountToken") is False, f"{where}: mounts a service account token"
        for container in spec.get("initContainers", []) + spec["containers"]:
            ctx = container.get("securityContext", {})
            name = f"{where}/{container['name']}"
            assert ctx.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, name
            assert ctx.get("runAsUser", pod.get("runAsUser", 0)) != 0, f"{name}: runs as uid 0"
            assert ctx.get("allowPrivilegeEscalation") is False, name
            assert ctx.get("readOnlyRootFilesystem") is True, name
            assert ctx.get("privileged", False) is False, name
            assert ctx.get("capabilities", {}).get("drop") == ["ALL"], name
            checked += 1
    assert checked >= 2 * len(SERVICES)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_is_committed_and_every_referenced_secret_is_documented(rendered, rendered_text, overlay):
    assert not of_kind(rendered[overlay], "Secret"), "a Secret with values is in the manifests"
    referenced = set()

    def collect(node):
        if isinstance(node, dict):
            for key in ("secretKeyRef", "secret", "passwordSecret", "importCredentialsSecret"):
                ref = node.get(key)
                if isinstance(ref, dict):
                    referenced.add(ref.get("name") or ref.get("secretName"))
            if "secretTargetRef" in node:
                referenced.update(ref["name"] for ref in node["secretTargetRef"])
            for k in ("accessKeyId", "secretAccessKey"):
                if isinstance(node.get(k), dict):
                    referenced.add(node[k]["name"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(rendered[overlay])
    guide = (DEPLOY.parent / "docs" / "deploy-kubernetes.md").read_text()
    undocumented = sorted(name for name in referenced if name and name not in guide)
    assert not undocumented, f"Secrets referenced but not in docs/deploy-kubernetes.md: {undocumented}"


def test_production_runs_quorum_queues_elasticsearch_and_no_migrations_at_start(rendered):
    docs = rendered["production"]
    platform = of_kind(docs, "ConfigMap")["marktplatz-platform"]["data"]
    assert platform["QUEUE_TYPE"] == "quorum"
    assert platform["ENVIRONMENT"] == "production"
    assert platform["MIGRATE_ON_START"] == "false"
    search_env = {
        e["name"]: e.get("value")
        for e in of_kind(docs, "Deployment")["search"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert search_env["SEARCH_BACKEND"] == "elasticsearch"
    jobs = of_kind(docs, "Job")
    for name in SERVICES:
        assert jobs[f"{name}-migrate"]["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


def test_production_engines_run_through_their_operators_with_three_nodes(rendered):
    docs = rendered["production"]
    assert not of_kind(docs, "StatefulSet"), "no home-made StatefulSets: the operators run the engines"
    assert of_kind(docs, "RabbitmqCluster")["marktplatz-rabbitmq"]["spec"]["replicas"] == 3
    assert of_kind(docs, "Cluster")["marktplatz-pg"]["spec"]["instances"] == 3
    assert of_kind(docs, "Elasticsearch")["marktplatz-es"]["spec"]["nodeSets"][0]["count"] == 3
    roles = {r["name"] for r in of_kind(docs, "Cluster")["marktplatz-pg"]["spec"]["managed"]["roles"]}
    databases = {(d["spec"]["name"], d["spec"]["owner"]) for d in of_kind(docs, "Database").values()}
    assert roles == set(SERVICES)
    assert databases == {(s, s) for s in SERVICES}, "a database owned by its own user per service"
    assert "search-index-template" in of_kind(docs, "Job")
    assert of_kind(docs, "ScheduledBackup"), "PostgreSQL is backed up"


def test_dev_runs_one_replica_of_everything(rendered):
    docs = rendered["dev"]
    assert all(d["spec"]["replicas"] == 1 for d in of_kind(docs, "Deployment").values())
    assert of_kind(docs, "RabbitmqCluster")["marktplatz-rabbitmq"]["spec"]["replicas"] == 1
    assert of_kind(docs, "Cluster")["marktplatz-pg"]["spec"]["instances"] == 1
    assert of_kind(docs, "Elasticsearch")["marktplatz-es"]["spec"]["nodeSets"][0]["count"] == 1


def test_production_spreads_replicas_over_nodes_and_zones(rendered):
    deployments = of_kind(rendered["production"], "Deployment")
    for name in SERVICES:
        spec = deployments[name]["spec"]["template"]["spec"]
        assert spec["affinity"]["podAntiAffinity"], name
        keys = {c["topologyKey"] for c in spec["topologySpreadConstraints"]}
        assert {"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= keys, name


def test_keda_scales_the_consumers_on_their_queues_and_an_hpa_scales_the_gateway_on_cpu(rendered):
    docs = rendered["production"]
    scaled = of_kind(docs, "ScaledObject")
    assert set(scaled) == {"catalog", "search", "notifications"}
    queues = {t["metadata"]["queueName"] for s in scaled.values() for t in s["spec"]["triggers"]}
    assert "evt-pos-stock_reported--catalog.on_stock_reported" in queues
    assert "evt-pos-stock_adjusted--catalog.on_stock_adjusted" in queues
    for name, obj in scaled.items():
        assert obj["spec"]["scaleTargetRef"]["name"] == name
        assert all(t["type"] == "rabbitmq" and t["metadata"]["mode"] == "QueueLength" for t in obj["spec"]["triggers"])
        assert all(
            q.startswith("evt-") and f"--{name}." in q
            for q in (t["metadata"]["queueName"] for t in obj["spec"]["triggers"])
        )
        assert "replicas" not in of_kind(docs, "Deployment")[name]["spec"], f"{name}: KEDA owns the replica count"
    hpa = of_kind(docs, "HorizontalPodAutoscaler")["gateway"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "gateway"
    assert hpa["metrics"][0]["resource"]["name"] == "cpu"


def test_every_metrics_endpoint_is_scraped_and_the_alerts_cover_the_platform_risks(rendered):
    docs = rendered["production"]
    monitors = of_kind(docs, "ServiceMonitor").values()
    services = of_kind(docs, "Service")
    for name in SERVICES:
        svc = services[name]
        port = "metrics" if name in NAMEKO_SERVICES else "http"
        assert any(
            svc["metadata"]["labels"].items() >= m["spec"]["selector"]["matchLabels"].items()
            and any(e["port"] == port for e in m["spec"]["endpoints"])
            for m in monitors
        ), f"no ServiceMonitor scrapes {name}:{port}"
    exprs = " ".join(
        r["expr"]
        for rule in of_kind(docs, "PrometheusRule").values()
        for g in rule["spec"]["groups"]
        for r in g["rules"]
    )
    for metric in (
        "marktplatz_dead_letters_total",
        "marktplatz_outbox_oldest_age_seconds",
        "marktplatz_search_index_lag_seconds",
        'gateway_http_requests_total{status=~"5.."}',
    ):
        assert metric in exprs, f"no alert on {metric}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_workers_share_their_metrics_through_an_empty_writable_directory(rendered, overlay):
    spec = of_kind(rendered[overlay], "Deployment")["gateway"]["spec"]["template"]["spec"]
    container = spec["containers"][0]
    directory = env_of(container)["PROMETHEUS_MULTIPROC_DIR"]["value"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert directory in mounts, f"{directory} is not mounted: the root filesystem is read-only"
    volume = next(v for v in spec["volumes"] if v["name"] == mounts[directory])
    assert "emptyDir" in volume, "the multiprocess directory must start empty with the pod"
    assert sum(1 for m in mounts.values() if m == mounts[directory]) == 1, "not shared with another mount"


def test_metrics_ports_match_the_services_config(rendered):
    deployments = of_kind(rendered["production"], "Deployment")
    for name in NAMEKO_SERVICES:
        config = (DEPLOY.parent / "services" / name / "config.yaml").read_text()
        default_port = config.split(f"${{{name.upper()}_METRICS_PORT:")[1].split("}")[0]
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env[f"{name.upper()}_METRICS_PORT"] == default_port
        assert container["ports"][0]["containerPort"] == int(default_port)
        assert f"${{{name.upper()}_DATABASE_URL:" in config, f"{name}: config.yaml reads another database key"
        assert f"{name.upper()}_DATABASE_URL" in env


def test_network_policies_deny_by_default_and_admit_the_architecture_flows(rendered):
    policies = of_kind(rendered["production"], "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    for name in (
        "allow-dns",
        "broker-clients-to-rabbitmq",
        "database-clients-to-postgres",
        "search-to-elasticsearch",
        "notifications-to-smtp-and-webhooks",
        "gateway-http-in",
        "rabbitmq",
        "postgres",
        "elasticsearch",
    ):
        assert name in policies, name


def test_crd_files_are_custom_resource_definitions():
    for path in Path(CRD_DIR).glob("*.yaml"):
        for crd in filter(None, yaml.safe_load_all(path.read_text())):
            kubernetes_validate.validate(crd, KUBERNETES_VERSION, strict=True)


def test_every_crd_file_is_in_the_readme_table_with_its_origin():
    table = {
        line.split("|")[1].strip(): line
        for line in (CRD_DIR / "README.md").read_text().splitlines()
        if line.startswith("| ") and line.split("|")[1].strip().endswith(".yaml")
    }
    files = {path.name for path in CRD_DIR.glob("*.yaml")}
    assert files == set(table), f"README table and deploy/crds differ: {sorted(files ^ set(table))}"
    for name, row in table.items():
        if name.endswith(".subset.yaml"):
            assert "**subset**" in row, f"{name}: a subset must say so in the README"
        else:
            assert "@ " in row and "subset" not in row, f"{name}: an upstream file names its commit"


def test_upstream_crd_check_rejects_a_misspelt_field():
    schema = CRD_SCHEMAS[("keda.sh/v1alpha1", "ScaledObject")]
    scaled = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "x"}}
    spec = {"scaleTargetRef": {"name": "x"}, "triggers": [{"type": "rabbitmq", "metadata": {"mode": "QueueLength"}}]}

    assert jsonschema.Draft7Validator(schema).is_valid({**scaled, "spec": spec})
    assert not jsonschema.Draft7Validator(schema).is_valid({**scaled, "spec": {**spec, "minReplicas": 1}})
    assert not jsonschema.Draft7Validator(schema).is_valid({**scaled, "spec": {**spec, "minReplicaCount": "2"}})


# --- broker users: one RabbitMQ user per service (messaging topology operator) ------------------------------


def env_of(container) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def secret_of(env: dict[str, dict], name: str) -> tuple[str, str] | None:
    ref = env.get(name, {}).get("valueFrom", {}).get("secretKeyRef")
    return (ref["name"], ref["key"]) if ref else None


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_connects_to_the_broker_as_its_own_user(rendered, overlay):
    docs = rendered[overlay]
    users = of_kind(docs, "User")
    imported = {u["spec"]["importCredentialsSecret"]["name"] for u in users.values()}
    workloads = {**of_kind(docs, "Deployment"), **of_kind(docs, "Job")}
    for name in SERVICES:
        for workload in (name, f"{name}-migrate"):
            container = workloads[workload]["spec"]["template"]["spec"]["containers"][0]
            env = env_of(container)
            secret = f"marktplatz-amqp-{name}"
            assert secret_of(env, "AMQP_USERNAME") == (secret, "username"), workload
            assert secret_of(env, "AMQP_PASSWORD") == (secret, "password"), workload
            assert env["AMQP_URI"]["value"] == "amqp://$(AMQP_USERNAME):$(AMQP_PASSWORD)@marktplatz-rabbitmq:5672/"
            assert secret in imported, f"{workload}: no User imports {secret}"
    assert "marktplatz-amqp" not in str(docs).replace("marktplatz-amqp-", ""), "the shared broker secret is gone"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_broker_user_has_its_permission_on_the_cluster(rendered, overlay):
    docs = rendered[overlay]
    users, permissions = of_kind(docs, "User"), of_kind(docs, "Permission")
    assert {f"marktplatz-{s}" for s in SERVICES} | {"marktplatz-pos-import"} <= set(users)
    granted = {p["spec"]["userReference"]["name"]: p for p in permissions.values()}
    assert set(granted) == set(users), "one Permission per User, none for a user that does not exist"
    for name, user in users.items():
        assert user["spec"]["rabbitmqClusterReference"] == {"name": "marktplatz-rabbitmq"}
        assert user["spec"]["importCredentialsSecret"]["name"] == name.replace("marktplatz-", "marktplatz-amqp-")
        assert "tags" not in user["spec"], f"{name}: no management access"
        spec = granted[name]["spec"]
        assert spec["vhost"] == "/" and spec["rabbitmqClusterReference"] == {"name": "marktplatz-rabbitmq"}
        for kind in ("configure", "write", "read"):
            pattern = spec["permissions"][kind]
            assert pattern.startswith("^") and pattern.endswith("$") and ".*" != pattern, f"{name} {kind}: {pattern}"


def service_topology(name: str) -> dict:
    """What a service's code declares on the broker: its handler queues, the sources, RPC client or not."""
    package = DEPLOY.parent / "services" / name / name
    source = "\n".join(path.read_text() for path in sorted(package.rglob("*.py")))
    handlers = re.findall(r'@reliable_handler\("(\w+)", "(\w+)"\)\s+def (\w+)', source)
    return {
        "queues": {f"evt-{src}-{event}--{name}.{method}" for src, event, method in handlers},
        "sources": {src for src, _, _ in handlers},
        "rpc_client": "RpcProxy(" in source,  # nameko's RpcProxy, or the gateway's ClusterRpcProxy
        "rpc_server": "@rpc" in source,
        "publishes": "OutboxRelay" in source,  # events go out through the outbox relay
    }


def allowed(permission: dict, kind: str, resource: str) -> bool:
    return re.search(permission[kind], resource) is not None


@pytest.mark.parametrize("name", SERVICES)
def test_broker_permissions_allow_what_the_service_declares_and_nothing_of_the_others(rendered, name):
    permission = of_kind(rendered["production"], "Permission")[f"marktplatz-{name}"]["spec"]["permissions"]
    code = service_topology(name)
    if name != "gateway":
        assert code["rpc_server"], f"{name}: no @rpc found: the source layout changed"
    uuid = "0b6e1b6e-3c1f-4d2a-9a51-8f2a6f4c9d10"

    def needs(kind, *resources):
        for resource in resources:
            assert allowed(permission, kind, resource), f"{name} may not {kind} {resource}"

    needs("configure", "nameko-rpc", f"rpc.reply-standalone_rpc_proxy-{uuid}")  # the readiness probe's RPC
    needs("write", "nameko-rpc", f"rpc.reply-standalone_rpc_proxy-{uuid}")
    needs("read", "nameko-rpc", f"rpc.reply-standalone_rpc_proxy-{uuid}")
    if code["rpc_server"]:
        needs("configure", f"rpc-{name}")
        needs("write", f"rpc-{name}")
        needs("read", f"rpc-{name}")
    if code["rpc_client"] and name != "gateway":
        needs("configure", f"rpc.reply-{name}-{uuid}")
        needs("read", f"rpc.reply-{name}-{uuid}")
    for queue in code["queues"]:
        needs("configure", queue)
        needs("write", queue)  # queue.bind
        needs("read", queue)
    for source in code["sources"]:
        needs("configure", f"{source}.events")  # nameko declares the source's exchange
        needs("read", f"{source}.events")  # queue.bind
    if code["queues"]:
        retry, dead, redeliver = f"{name}.retry.5000ms", f"{name}.dead-letters", f"{name}.redeliver"
        needs("configure", retry, dead, redeliver)
        needs("write", retry, dead, redeliver, "amq.default")
        needs("read", retry, dead, redeliver)
    if code["publishes"]:
        needs("configure", f"{name}.events")
        needs("write", f"{name}.events")

    for other in SERVICES:
        if other == name:
            continue
        for kind in ("configure", "write", "read"):
            for resource in (
                f"rpc-{other}",
                f"evt-catalog-stock_changed--{other}.on_stock_changed",
                f"{other}.dead-letters",
                f"{other}.redeliver",
                f"rpc.reply-{other}-{uuid}",
            ):
                assert not allowed(permission, kind, resource), f"{name} may {kind} {resource}"
        assert not allowed(permission, "write", f"{other}.events"), f"{name} may publish {other}'s events"
    assert not allowed(permission, "write", "pos.events"), f"{name} may forge POS stock"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_catalog_trusts_exactly_the_platforms_pos_import_user(rendered, overlay):
    docs = rendered[overlay]
    env = env_of(of_kind(docs, "Deployment")["catalog"]["spec"]["template"]["spec"]["containers"][0])
    trusted = env["CATALOG_POS_TRUSTED_USERS"]["value"]
    listed = yaml.safe_load(trusted)
    assert isinstance(listed, list) and listed, f"CATALOG_POS_TRUSTED_USERS is not a YAML list: {trusted!r}"
    names = list(env)
    permissions = {p["spec"]["userReference"]["name"]: p["spec"] for p in of_kind(docs, "Permission").values()}
    users = {u["spec"]["importCredentialsSecret"]["name"]: name for name, u in of_kind(docs, "User").items()}
    for entry in listed:
        var = re.fullmatch(r"\$\((\w+)\)", entry)
        assert var, f"{entry}: name the user through its Secret, so the list and the broker cannot disagree"
        secret, key = secret_of(env, var.group(1))
        assert key == "username" and names.index(var.group(1)) < names.index("CATALOG_POS_TRUSTED_USERS")
        user = users[secret]
        assert allowed(permissions[user]["permissions"], "write", "pos.events"), f"{user} cannot publish POS stock"
        assert permissions[user]["permissions"]["read"] == "^$", f"{user} needs no read permission"
    assert "guest" not in trusted


def test_keda_reads_queue_lengths_as_a_user_that_may_do_nothing_else(rendered):
    docs = rendered["production"]
    auth = of_kind(docs, "TriggerAuthentication")["marktplatz-rabbitmq"]["spec"]["secretTargetRef"]
    assert [(r["name"], r["key"]) for r in auth] == [("marktplatz-amqp-keda", "uri")]
    assert of_kind(docs, "User")["marktplatz-keda"]["spec"]["importCredentialsSecret"]["name"] == "marktplatz-amqp-keda"
    permission = of_kind(docs, "Permission")["marktplatz-keda"]["spec"]["permissions"]
    assert permission == {"configure": "^$", "write": "^$", "read": "^$"}
