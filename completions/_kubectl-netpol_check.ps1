
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kubectl-netpol_check' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kubectl-netpol_check'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'kubectl-netpol_check' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for objects that do not name one (default: "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for objects that do not name one (default: "default")')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector limiting the workloads reported, and the findings on them and on the policies selecting them, in kubectl''s syntax (app=web, tier in (a,b), !legacy); verdicts are worked out on everything all the same')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector limiting the workloads reported, and the findings on them and on the policies selecting them, in kubectl''s syntax (app=web, tier in (a,b), !legacy); verdicts are worked out on everything all the same')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod''s service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address of the API server (over the kubeconfig''s)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address of the API server (over the kubeconfig''s)')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'A CA certificate file (PEM) to verify the server''s certificate with')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate: the connection is not secure')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server (over the kubeconfig''s user)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Lowest severity that makes the exit status 1')
            [CompletionResult]::new('--exclude-namespace', '--exclude-namespace', [CompletionResultType]::ParameterName, 'Leave out namespaces matching this glob (e.g. ''team-*''). Repeatable')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: auto (when the output is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('--enable', '--enable', [CompletionResultType]::ParameterName, 'Run a rule (id or name) that --disable turned off. Repeatable')
            [CompletionResult]::new('--disable', '--disable', [CompletionResultType]::ParameterName, 'Do not run a rule (id or name). Repeatable')
            [CompletionResult]::new('--severity', '--severity', [CompletionResultType]::ParameterName, 'Change a rule''s severity: RULE=error|warning|info. Repeatable')
            [CompletionResult]::new('--host-network', '--host-network', [CompletionResultType]::ParameterName, 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node''s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)')
            [CompletionResult]::new('--cilium-policy-mode', '--cilium-policy-mode', [CompletionResultType]::ParameterName, 'Cilium''s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every namespace (live clusters)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every namespace (live clusters)')
            [CompletionResult]::new('--include-system', '--include-system', [CompletionResultType]::ParameterName, 'Include kube-system, kube-public and kube-node-lease')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('post-render', 'post-render', [CompletionResultType]::ParameterValue, 'Helm post-renderer: rendered manifests on stdin, the same manifests on stdout (plus any generated policies); fails when pods would run uncovered')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Print default-deny NetworkPolicies for the given manifests (for GitOps repositories)')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'List the rules: id, name, default severity, summary')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Why is a workload (not) isolated: the policies selecting it per direction, their rules in plain words, the workloads those rules reach, and the findings on them')
            [CompletionResult]::new('reach', 'reach', [CompletionResultType]::ParameterValue, 'Can SRC open a connection to DST? Exit 0 when allowed, 1 when denied (or unknown), 2 on error')
            [CompletionResult]::new('matrix', 'matrix', [CompletionResultType]::ParameterValue, 'Every ordered pair of workloads in scope (and the external address ranges the policies'' ipBlocks cut out), with the ports each may use')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'What a change opens, closes and uncovers: the new side (-f) against a base (--base PATH, --base-ref REF or --base-cluster). Exit 1 when it fails --fail-on')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print the shell completion script for bash, zsh, fish or powershell')
            break
        }
        'kubectl-netpol_check;post-render' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The release namespace, for documents that name none (default: $HELM_NAMESPACE, else reported as <release>)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The release namespace, for documents that name none (default: $HELM_NAMESPACE, else reported as <release>)')
            [CompletionResult]::new('--emit-default-deny', '--emit-default-deny', [CompletionResultType]::ParameterName, 'Add the missing default-deny policies to the release: per namespace (default) or per uncovered workload')
            [CompletionResult]::new('--policy-format', '--policy-format', [CompletionResultType]::ParameterName, 'Write the policies --emit-default-deny adds as Kubernetes NetworkPolicies, as CiliumNetworkPolicies or as Calico NetworkPolicies')
            [CompletionResult]::new('--dns-namespace', '--dns-namespace', [CompletionResultType]::ParameterName, 'Namespace of the cluster DNS pods')
            [CompletionResult]::new('--dns-selector', '--dns-selector', [CompletionResultType]::ParameterName, 'Labels of the cluster DNS pods, as key=value[,key=value]')
            [CompletionResult]::new('--report-file', '--report-file', [CompletionResultType]::ParameterName, 'Also write the report to this file (format from -o), whatever the outcome')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Format of --report-file')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of --report-file')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector limiting the workloads reported (and so the verdict), in kubectl''s syntax; the chart goes out whole and is analysed whole')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector limiting the workloads reported (and so the verdict), in kubectl''s syntax; the chart goes out whole and is analysed whole')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Lowest severity that makes the exit status 1')
            [CompletionResult]::new('--exclude-namespace', '--exclude-namespace', [CompletionResultType]::ParameterName, 'Leave out namespaces matching this glob (e.g. ''team-*''). Repeatable')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: auto (when the output is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('--enable', '--enable', [CompletionResultType]::ParameterName, 'Run a rule (id or name) that --disable turned off. Repeatable')
            [CompletionResult]::new('--disable', '--disable', [CompletionResultType]::ParameterName, 'Do not run a rule (id or name). Repeatable')
            [CompletionResult]::new('--severity', '--severity', [CompletionResultType]::ParameterName, 'Change a rule''s severity: RULE=error|warning|info. Repeatable')
            [CompletionResult]::new('--host-network', '--host-network', [CompletionResultType]::ParameterName, 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node''s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)')
            [CompletionResult]::new('--cilium-policy-mode', '--cilium-policy-mode', [CompletionResultType]::ParameterName, 'Cilium''s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says')
            [CompletionResult]::new('--no-dns', '--no-dns', [CompletionResultType]::ParameterName, 'Do not add allow-dns next to generated egress denies')
            [CompletionResult]::new('--include-hooks', '--include-hooks', [CompletionResultType]::ParameterName, 'Analyse Helm hooks too (helm.sh/hook, including `helm test` pods)')
            [CompletionResult]::new('--include-system', '--include-system', [CompletionResultType]::ParameterName, 'Include kube-system, kube-public and kube-node-lease')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-netpol_check;generate' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file, directory or - for stdin. Repeatable')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifest file, directory or - for stdin. Repeatable')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for objects that do not name one (default: "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for objects that do not name one (default: "default")')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'Per namespace (complete each namespace''s default deny) or per uncovered workload')
            [CompletionResult]::new('--policy-format', '--policy-format', [CompletionResultType]::ParameterName, 'Write Kubernetes NetworkPolicies, CiliumNetworkPolicies or Calico policies (a GlobalNetworkPolicy default deny and NetworkPolicies)')
            [CompletionResult]::new('--dns-namespace', '--dns-namespace', [CompletionResultType]::ParameterName, 'Namespace of the cluster DNS pods')
            [CompletionResult]::new('--dns-selector', '--dns-selector', [CompletionResultType]::ParameterName, 'Labels of the cluster DNS pods, as key=value[,key=value]')
            [CompletionResult]::new('--exclude-namespace', '--exclude-namespace', [CompletionResultType]::ParameterName, 'Leave out namespaces matching this glob. Repeatable')
            [CompletionResult]::new('--host-network', '--host-network', [CompletionResultType]::ParameterName, 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node''s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)')
            [CompletionResult]::new('--cilium-policy-mode', '--cilium-policy-mode', [CompletionResultType]::ParameterName, 'Cilium''s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says')
            [CompletionResult]::new('--no-dns', '--no-dns', [CompletionResultType]::ParameterName, 'Do not add allow-dns next to generated egress denies')
            [CompletionResult]::new('--include-system', '--include-system', [CompletionResultType]::ParameterName, 'Include kube-system, kube-public and kube-node-lease')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-netpol_check;rules' {
            [CompletionResult]::new('--markdown', '--markdown', [CompletionResultType]::ParameterName, 'Print the full documentation (docs/rules.md) instead of the table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-netpol_check;explain' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace of the workloads named (and of manifest objects that name none; default: "default", or the context''s namespace for a cluster)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace of the workloads named (and of manifest objects that name none; default: "default", or the context''s namespace for a cluster)')
            [CompletionResult]::new('--host-network', '--host-network', [CompletionResultType]::ParameterName, 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node''s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)')
            [CompletionResult]::new('--cilium-policy-mode', '--cilium-policy-mode', [CompletionResultType]::ParameterName, 'Cilium''s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod''s service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address of the API server (over the kubeconfig''s)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address of the API server (over the kubeconfig''s)')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'A CA certificate file (PEM) to verify the server''s certificate with')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate: the connection is not secure')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server (over the kubeconfig''s user)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'o')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-netpol_check;reach' {
            [CompletionResult]::new('--to-namespace', '--to-namespace', [CompletionResultType]::ParameterName, 'Namespace of the destination workload (default: the -n namespace)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Destination port: a number, or a container port name of the destination. Without it, any port counts and the allowed connections are listed')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Protocol of --port')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'Exit 0 when the verdict is this one and 1 otherwise (for CI gates)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace of the workloads named (and of manifest objects that name none; default: "default", or the context''s namespace for a cluster)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace of the workloads named (and of manifest objects that name none; default: "default", or the context''s namespace for a cluster)')
            [CompletionResult]::new('--host-network', '--host-network', [CompletionResultType]::ParameterName, 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node''s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)')
            [CompletionResult]::new('--cilium-policy-mode', '--cilium-policy-mode', [CompletionResultType]::ParameterName, 'Cilium''s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod''s service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address of the API server (over the kubeconfig''s)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address of the API server (over the kubeconfig''s)')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'A CA certificate file (PEM) to verify the server''s certificate with')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate: the connection is not secure')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server (over the kubeconfig''s user)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'o')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-netpol_check;matrix' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace of the workloads named (and of manifest objects that name none; default: "default", or the context''s namespace for a cluster)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace of the workloads named (and of manifest objects that name none; default: "default", or the context''s namespace for a cluster)')
            [CompletionResult]::new('--host-network', '--host-network', [CompletionResultType]::ParameterName, 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node''s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)')
            [CompletionResult]::new('--cilium-policy-mode', '--cilium-policy-mode', [CompletionResultType]::ParameterName, 'Cilium''s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod''s service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address of the API server (over the kubeconfig''s)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address of the API server (over the kubeconfig''s)')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'A CA certificate file (PEM) to verify the server''s certificate with')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate: the connection is not secure')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server (over the kubeconfig''s user)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector limiting the workloads shown (rows and columns); what they may exchange is still worked out with every workload and policy')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector limiting the workloads shown (rows and columns); what they may exchange is still worked out with every workload and policy')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'o')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'output')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every namespace (the default for manifests without -n)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every namespace (the default for manifests without -n)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-netpol_check;diff' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The new side: manifest file, directory (recursive) or - for stdin. Repeatable')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'The new side: manifest file, directory (recursive) or - for stdin. Repeatable')
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'The base: manifest file, directory or - for stdin. Repeatable')
            [CompletionResult]::new('--base-ref', '--base-ref', [CompletionResultType]::ParameterName, 'The base: the same -f paths at a Git revision (branch, tag, commit), read with git from the repository they are in, without a checkout')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for objects that do not name one (default: "default"; with --base-cluster, the context''s namespace)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for objects that do not name one (default: "default"; with --base-cluster, the context''s namespace)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'o')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'output')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'What makes the exit status 1: `uncovered` (default), `opened`, `any` or `never`')
            [CompletionResult]::new('--exclude-namespace', '--exclude-namespace', [CompletionResultType]::ParameterName, 'Leave out namespaces matching this glob (e.g. ''team-*''). Repeatable')
            [CompletionResult]::new('--host-network', '--host-network', [CompletionResultType]::ParameterName, 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node''s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)')
            [CompletionResult]::new('--cilium-policy-mode', '--cilium-policy-mode', [CompletionResultType]::ParameterName, 'Cilium''s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod''s service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address of the API server (over the kubeconfig''s)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address of the API server (over the kubeconfig''s)')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'A CA certificate file (PEM) to verify the server''s certificate with')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate: the connection is not secure')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server (over the kubeconfig''s user)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr')
            [CompletionResult]::new('--base-cluster', '--base-cluster', [CompletionResultType]::ParameterName, 'The base: the cluster of the kubeconfig context now, in the namespaces the new side touches (every namespace with -A); the new side is the cluster with the manifests applied over it, as `kubectl apply` would')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'With --base-cluster: read every namespace of the cluster')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'With --base-cluster: read every namespace of the cluster')
            [CompletionResult]::new('--pairs', '--pairs', [CompletionResultType]::ParameterName, 'Also list every workload pair whose connection changed')
            [CompletionResult]::new('--include-system', '--include-system', [CompletionResultType]::ParameterName, 'Include kube-system, kube-public and kube-node-lease')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-netpol_check;completion' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
