# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_netpol_check_global_optspecs
    string join \n f/filename= k/kustomize= chart= values= set= include-hooks n/namespace= A/all-namespaces o/output= l/selector= report-file= report-format= summary no-progress kubeconfig= context= all-contexts cluster= user= request-timeout= s/server= certificate-authority= insecure-skip-tls-verify= token= v/v= with-cluster= release= fail-on-change= fail-on= include-system exclude-namespace= color= enable= disable= severity= host-network= cilium-policy-mode= h/help V/version
end

function __fish_kubectl_netpol_check_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_netpol_check_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_netpol_check_using_subcommand
    set -l cmd (__fish_kubectl_netpol_check_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -s f -l filename -d 'Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -s k -l kustomize -d 'Kustomization directory, built with `kustomize build` (or `kubectl kustomize` when kustomize is not on PATH); findings name the file each object came from. Repeatable; mixes with -f' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l chart -d 'Helm chart (directory, packaged chart, or a reference helm resolves) rendered with `helm template` by the helm on PATH, in the -n namespace, as release --release (default: the chart\'s name); findings name the templates' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l values -d 'A values file for --chart (helm\'s -f/--values: here -f reads manifests). Repeatable' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l set -d 'A value for --chart, as helm\'s --set KEY=VALUE. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -s n -l namespace -d 'Namespace for objects that do not name one (default: "default")' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -s o -l output -d 'Output format' -r -f -a "table\t'Workloads, findings and a summary line'
wide\t'The table with the selecting policies of each workload'
json\t'The report object as JSON'
yaml\t'The report object as YAML'
sarif\t'SARIF 2.1.0, for GitHub code scanning: findings at file and line, with rule help'
html\t'One self-contained HTML page: summary, coverage per namespace, findings, workloads'
junit\t'JUnit XML for CI test reports (GitLab, Jenkins): a test case per workload and direction, and one per finding'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -s l -l selector -d 'Label selector limiting the workloads reported, and the findings on them and on the policies selecting them, in kubectl\'s syntax (app=web, tier in (a,b), !legacy); verdicts are worked out on everything all the same' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l report-file -d 'Also write the report to this file, in the format its name says (.html, .xml for JUnit, .json, .sarif, .yaml) unless --report-format says otherwise' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l report-format -d 'Format of --report-file (default: from its name, else the -o format)' -r -f -a "table\t'Workloads, findings and a summary line'
wide\t'The table with the selecting policies of each workload'
json\t'The report object as JSON'
yaml\t'The report object as YAML'
sarif\t'SARIF 2.1.0, for GitHub code scanning: findings at file and line, with rule help'
html\t'One self-contained HTML page: summary, coverage per namespace, findings, workloads'
junit\t'JUnit XML for CI test reports (GitLab, Jenkins): a test case per workload and direction, and one per finding'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod\'s service account)' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l context -d 'The kubeconfig context to use. Repeated, the check (not the other commands) reads each of those clusters and merges their reports' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l request-timeout -d 'How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -s s -l server -d 'The address of the API server (over the kubeconfig\'s)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l certificate-authority -d 'A CA certificate file (PEM) to verify the server\'s certificate with' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate: the connection is not secure' -r -f -a "true\t''
false\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l token -d 'Bearer token for authentication to the API server (over the kubeconfig\'s user)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -s v -l v -d 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l with-cluster -d 'Judge the manifests in the cluster they go into (the kubeconfig\'s, or --context): the policies, namespaces and pods of the namespaces they touch and the cluster-scoped policies, with the manifests applied over them. `optional`: go on without the cluster when it cannot be read. Never writes to the cluster' -r -f -a "required\t'The cluster must be read: failing to is an error (exit 2)'
optional\t'Go on without the cluster when it cannot be read, and say so on stderr'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l release -d 'The Helm release of the manifests (default: their pods\' app.kubernetes.io/instance label): with --with-cluster, its objects in the cluster that the manifests no longer have are removed, as helm upgrade removes them; generated policies are named after it. With --chart, the release name it is rendered as (default: the chart\'s name)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l fail-on-change -d 'With --with-cluster, what the change does to the cluster that makes the exit status 1: `uncovered` (default: a workload loses isolation, a new workload is uncovered, or a new error finding appears), `opened` (those, or any connection opened), `any` or `never`' -r -f -a "uncovered\t'A workload loses isolation in a direction, a new workload arrives uncovered, or a new finding at error appears'
opened\t'Those, or any connection the change opens'
any\t'Any change of coverage, connections or findings'
never\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l fail-on -d 'Lowest severity that makes the exit status 1' -r -f -a "error\t''
warning\t''
info\t''
never\t''
uncovered\t'Only uncovered workloads (NPC001), whatever their severity: for teams that gate on coverage and read the lints as advice'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l exclude-namespace -d 'Leave out namespaces matching this glob (e.g. \'team-*\'). Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l color -d 'Colour: auto (when the output is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t'Colour when the output is a terminal and NO_COLOR is not set'
always\t''
never\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l enable -d 'Run a rule (id or name) that --disable turned off. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l disable -d 'Do not run a rule (id or name). Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l severity -d 'Change a rule\'s severity: RULE=error|warning|info. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l host-network -d 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node\'s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)' -r -f -a "node\t''
pod\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l cilium-policy-mode -d 'Cilium\'s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says' -r -f -a "default\t''
always\t''
never\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l include-hooks -d 'Analyse Helm hooks too (helm.sh/hook: `helm test` pods, migration jobs), which are otherwise left out of --chart and of rendered streams given with -f'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -s A -l all-namespaces -d 'Every namespace (live clusters)'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l summary -d 'One line per namespace (workloads, open, findings, the fix that closes most) instead of the table of workloads and findings'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l no-progress -d 'No progress line on stderr while listing a cluster (shown only on a terminal)'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l all-contexts -d 'Check every context of the kubeconfig, each cluster in the namespace of -n, every namespace with -A, else its context\'s namespace; one merged report (the check only)'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -l include-system -d 'Include kube-system, kube-public and kube-node-lease'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -f -a "post-render" -d 'Helm post-renderer: rendered manifests on stdin, the same manifests on stdout (plus any generated policies); fails when pods would run uncovered'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -f -a "generate" -d 'Print default-deny NetworkPolicies for the given manifests (for GitOps repositories)'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -f -a "rules" -d 'List the rules: id, name, default severity, summary'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -f -a "explain" -d 'Why is a workload (not) isolated: the policies selecting it per direction, their rules in plain words, the workloads those rules reach, and the findings on them'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -f -a "reach" -d 'Can SRC open a connection to DST? Exit 0 when allowed, 1 when denied (or unknown), 2 on error'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -f -a "matrix" -d 'Every ordered pair of workloads in scope (and the external address ranges the policies\' ipBlocks cut out), with the ports each may use'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -f -a "diff" -d 'What a change opens, closes and uncovers: the new side (-f) against a base (--base PATH, --base-ref REF or --base-cluster). Exit 1 when it fails --fail-on'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_needs_command" -f -a "completion" -d 'Print the shell completion script for bash, zsh, fish or powershell'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -s n -l namespace -d 'The release namespace, for documents that name none (default: $HELM_NAMESPACE, else reported as <release>)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l emit-default-deny -d 'Add the missing default-deny policies to the release: per namespace (default) or per uncovered workload' -r -f -a "namespace\t'Complete each namespace\'s default deny'
workloads\t'One deny-all per uncovered workload, selecting exactly its pod labels'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l policy-format -d 'Write the policies --emit-default-deny adds as Kubernetes NetworkPolicies, as CiliumNetworkPolicies or as Calico NetworkPolicies' -r -f -a "kubernetes\t'Kubernetes NetworkPolicies (networking.k8s.io/v1)'
cilium\t'CiliumNetworkPolicies (cilium.io/v2), for clusters where Cilium enforces policies'
calico\t'Calico policies (projectcalico.org/v3), for clusters where Calico enforces policies'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l dns-namespace -d 'Namespace of the cluster DNS pods' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l dns-selector -d 'Labels of the cluster DNS pods, as key=value[,key=value]' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l report-file -d 'Also write the report to this file, whatever the outcome' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -s o -l output -d 'Format of --report-file (default: from its name, .html, .xml for JUnit, .json, .sarif or .yaml, else table)' -r -f -a "table\t'Workloads, findings and a summary line'
wide\t'The table with the selecting policies of each workload'
json\t'The report object as JSON'
yaml\t'The report object as YAML'
sarif\t'SARIF 2.1.0, for GitHub code scanning: findings at file and line, with rule help'
html\t'One self-contained HTML page: summary, coverage per namespace, findings, workloads'
junit\t'JUnit XML for CI test reports (GitLab, Jenkins): a test case per workload and direction, and one per finding'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -s l -l selector -d 'Label selector limiting the workloads reported (and so the verdict), in kubectl\'s syntax; the chart goes out whole and is analysed whole' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l fail-on -d 'Lowest severity that makes the exit status 1' -r -f -a "error\t''
warning\t''
info\t''
never\t''
uncovered\t'Only uncovered workloads (NPC001), whatever their severity: for teams that gate on coverage and read the lints as advice'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l exclude-namespace -d 'Leave out namespaces matching this glob (e.g. \'team-*\'). Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l color -d 'Colour: auto (when the output is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t'Colour when the output is a terminal and NO_COLOR is not set'
always\t''
never\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l enable -d 'Run a rule (id or name) that --disable turned off. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l disable -d 'Do not run a rule (id or name). Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l severity -d 'Change a rule\'s severity: RULE=error|warning|info. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l host-network -d 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node\'s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)' -r -f -a "node\t''
pod\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l cilium-policy-mode -d 'Cilium\'s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says' -r -f -a "default\t''
always\t''
never\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l with-cluster -d 'Judge the manifests in the cluster they go into (the kubeconfig\'s, or --context): the policies, namespaces and pods of the namespaces they touch and the cluster-scoped policies, with the manifests applied over them. `optional`: go on without the cluster when it cannot be read. Never writes to the cluster' -r -f -a "required\t'The cluster must be read: failing to is an error (exit 2)'
optional\t'Go on without the cluster when it cannot be read, and say so on stderr'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l release -d 'The Helm release of the manifests (default: their pods\' app.kubernetes.io/instance label): with --with-cluster, its objects in the cluster that the manifests no longer have are removed, as helm upgrade removes them; generated policies are named after it. With --chart, the release name it is rendered as (default: the chart\'s name)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l fail-on-change -d 'With --with-cluster, what the change does to the cluster that makes the exit status 1: `uncovered` (default: a workload loses isolation, a new workload is uncovered, or a new error finding appears), `opened` (those, or any connection opened), `any` or `never`' -r -f -a "uncovered\t'A workload loses isolation in a direction, a new workload arrives uncovered, or a new finding at error appears'
opened\t'Those, or any connection the change opens'
any\t'Any change of coverage, connections or findings'
never\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod\'s service account)' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l context -d 'The kubeconfig context to use. Repeated, the check (not the other commands) reads each of those clusters and merges their reports' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l request-timeout -d 'How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -s s -l server -d 'The address of the API server (over the kubeconfig\'s)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l certificate-authority -d 'A CA certificate file (PEM) to verify the server\'s certificate with' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate: the connection is not secure' -r -f -a "true\t''
false\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l token -d 'Bearer token for authentication to the API server (over the kubeconfig\'s user)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -s v -l v -d 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l no-dns -d 'Do not add allow-dns next to generated egress denies'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l include-hooks -d 'Analyse Helm hooks too (helm.sh/hook, including `helm test` pods)'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l include-system -d 'Include kube-system, kube-public and kube-node-lease'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -l all-contexts -d 'Check every context of the kubeconfig, each cluster in the namespace of -n, every namespace with -A, else its context\'s namespace; one merged report (the check only)'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand post-render" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -s f -l filename -d 'Manifest file, directory or - for stdin. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -s k -l kustomize -d 'Kustomization directory, built with `kustomize build` (or `kubectl kustomize` when kustomize is not on PATH); findings name the file each object came from. Repeatable; mixes with -f' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l chart -d 'Helm chart (directory, packaged chart, or a reference helm resolves) rendered with `helm template` by the helm on PATH, in the -n namespace, as release --release (default: the chart\'s name); findings name the templates' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l values -d 'A values file for --chart (helm\'s -f/--values: here -f reads manifests). Repeatable' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l set -d 'A value for --chart, as helm\'s --set KEY=VALUE. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -s n -l namespace -d 'Namespace for objects that do not name one (default: "default")' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l mode -d 'Per namespace (complete each namespace\'s default deny) or per uncovered workload' -r -f -a "namespace\t'Complete each namespace\'s default deny'
workloads\t'One deny-all per uncovered workload, selecting exactly its pod labels'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l policy-format -d 'Write Kubernetes NetworkPolicies, CiliumNetworkPolicies or Calico policies (a GlobalNetworkPolicy default deny and NetworkPolicies)' -r -f -a "kubernetes\t'Kubernetes NetworkPolicies (networking.k8s.io/v1)'
cilium\t'CiliumNetworkPolicies (cilium.io/v2), for clusters where Cilium enforces policies'
calico\t'Calico policies (projectcalico.org/v3), for clusters where Calico enforces policies'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l dns-namespace -d 'Namespace of the cluster DNS pods' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l dns-selector -d 'Labels of the cluster DNS pods, as key=value[,key=value]' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l exclude-namespace -d 'Leave out namespaces matching this glob. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l host-network -d 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node\'s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)' -r -f -a "node\t''
pod\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l cilium-policy-mode -d 'Cilium\'s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says' -r -f -a "default\t''
always\t''
never\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l with-cluster -d 'Judge the manifests in the cluster they go into (the kubeconfig\'s, or --context): the policies, namespaces and pods of the namespaces they touch and the cluster-scoped policies, with the manifests applied over them. `optional`: go on without the cluster when it cannot be read. Never writes to the cluster' -r -f -a "required\t'The cluster must be read: failing to is an error (exit 2)'
optional\t'Go on without the cluster when it cannot be read, and say so on stderr'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l release -d 'The Helm release of the manifests (default: their pods\' app.kubernetes.io/instance label): with --with-cluster, its objects in the cluster that the manifests no longer have are removed, as helm upgrade removes them; generated policies are named after it. With --chart, the release name it is rendered as (default: the chart\'s name)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod\'s service account)' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l context -d 'The kubeconfig context to use. Repeated, the check (not the other commands) reads each of those clusters and merges their reports' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l request-timeout -d 'How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -s s -l server -d 'The address of the API server (over the kubeconfig\'s)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l certificate-authority -d 'A CA certificate file (PEM) to verify the server\'s certificate with' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate: the connection is not secure' -r -f -a "true\t''
false\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l token -d 'Bearer token for authentication to the API server (over the kubeconfig\'s user)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -s v -l v -d 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l include-hooks -d 'Analyse Helm hooks too (helm.sh/hook: `helm test` pods, migration jobs), which are otherwise left out of --chart and of rendered streams given with -f'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l no-dns -d 'Do not add allow-dns next to generated egress denies'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l include-system -d 'Include kube-system, kube-public and kube-node-lease'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -l all-contexts -d 'Check every context of the kubeconfig, each cluster in the namespace of -n, every namespace with -A, else its context\'s namespace; one merged report (the check only)'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand rules" -l markdown -d 'Print the full documentation (docs/rules.md) instead of the table'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand rules" -s h -l help -d 'Print help'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -s f -l filename -d 'Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -s k -l kustomize -d 'Kustomization directory, built with `kustomize build` (or `kubectl kustomize` when kustomize is not on PATH); findings name the file each object came from. Repeatable; mixes with -f' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l chart -d 'Helm chart (directory, packaged chart, or a reference helm resolves) rendered with `helm template` by the helm on PATH, in the -n namespace, as release --release (default: the chart\'s name); findings name the templates' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l values -d 'A values file for --chart (helm\'s -f/--values: here -f reads manifests). Repeatable' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l set -d 'A value for --chart, as helm\'s --set KEY=VALUE. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -s n -l namespace -d 'The namespace of the workloads named (and of manifest objects that name none; default: "default", or the context\'s namespace for a cluster)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l host-network -d 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node\'s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)' -r -f -a "node\t''
pod\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l cilium-policy-mode -d 'Cilium\'s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says' -r -f -a "default\t''
always\t''
never\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod\'s service account)' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l context -d 'The kubeconfig context to use. Repeated, the check (not the other commands) reads each of those clusters and merges their reports' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l request-timeout -d 'How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -s s -l server -d 'The address of the API server (over the kubeconfig\'s)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l certificate-authority -d 'A CA certificate file (PEM) to verify the server\'s certificate with' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate: the connection is not secure' -r -f -a "true\t''
false\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l token -d 'Bearer token for authentication to the API server (over the kubeconfig\'s user)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -s v -l v -d 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l with-cluster -d 'Judge the manifests in the cluster they go into (the kubeconfig\'s, or --context): the policies, namespaces and pods of the namespaces they touch and the cluster-scoped policies, with the manifests applied over them. `optional`: go on without the cluster when it cannot be read. Never writes to the cluster' -r -f -a "required\t'The cluster must be read: failing to is an error (exit 2)'
optional\t'Go on without the cluster when it cannot be read, and say so on stderr'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l release -d 'The Helm release of the manifests (default: their pods\' app.kubernetes.io/instance label): with --with-cluster, its objects in the cluster that the manifests no longer have are removed, as helm upgrade removes them; generated policies are named after it. With --chart, the release name it is rendered as (default: the chart\'s name)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -s o -l output -r -f -a "text\t'Plain words'
json\t'One JSON object'
dot\t'Graphviz DOT: the workload and the peers it may reach or be reached by'
mermaid\t'A Mermaid flowchart of the same'
svg\t'An SVG picture of the same, laid out in-process'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l include-hooks -d 'Analyse Helm hooks too (helm.sh/hook: `helm test` pods, migration jobs), which are otherwise left out of --chart and of rendered streams given with -f'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -l all-contexts -d 'Check every context of the kubeconfig, each cluster in the namespace of -n, every namespace with -A, else its context\'s namespace; one merged report (the check only)'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l to-namespace -d 'Namespace of the destination workload (default: the -n namespace)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l port -d 'Destination port: a number, or a container port name of the destination. Without it, any port counts and the allowed connections are listed' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l protocol -d 'Protocol of --port' -r -f -a "TCP\t''
UDP\t''
SCTP\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l expect -d 'Exit 0 when the verdict is this one and 1 otherwise (for CI gates)' -r -f -a "allowed\t''
denied\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -s f -l filename -d 'Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -s k -l kustomize -d 'Kustomization directory, built with `kustomize build` (or `kubectl kustomize` when kustomize is not on PATH); findings name the file each object came from. Repeatable; mixes with -f' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l chart -d 'Helm chart (directory, packaged chart, or a reference helm resolves) rendered with `helm template` by the helm on PATH, in the -n namespace, as release --release (default: the chart\'s name); findings name the templates' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l values -d 'A values file for --chart (helm\'s -f/--values: here -f reads manifests). Repeatable' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l set -d 'A value for --chart, as helm\'s --set KEY=VALUE. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -s n -l namespace -d 'The namespace of the workloads named (and of manifest objects that name none; default: "default", or the context\'s namespace for a cluster)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l host-network -d 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node\'s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)' -r -f -a "node\t''
pod\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l cilium-policy-mode -d 'Cilium\'s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says' -r -f -a "default\t''
always\t''
never\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod\'s service account)' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l context -d 'The kubeconfig context to use. Repeated, the check (not the other commands) reads each of those clusters and merges their reports' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l request-timeout -d 'How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -s s -l server -d 'The address of the API server (over the kubeconfig\'s)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l certificate-authority -d 'A CA certificate file (PEM) to verify the server\'s certificate with' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate: the connection is not secure' -r -f -a "true\t''
false\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l token -d 'Bearer token for authentication to the API server (over the kubeconfig\'s user)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -s v -l v -d 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l with-cluster -d 'Judge the manifests in the cluster they go into (the kubeconfig\'s, or --context): the policies, namespaces and pods of the namespaces they touch and the cluster-scoped policies, with the manifests applied over them. `optional`: go on without the cluster when it cannot be read. Never writes to the cluster' -r -f -a "required\t'The cluster must be read: failing to is an error (exit 2)'
optional\t'Go on without the cluster when it cannot be read, and say so on stderr'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l release -d 'The Helm release of the manifests (default: their pods\' app.kubernetes.io/instance label): with --with-cluster, its objects in the cluster that the manifests no longer have are removed, as helm upgrade removes them; generated policies are named after it. With --chart, the release name it is rendered as (default: the chart\'s name)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -s o -l output -r -f -a "text\t'Plain words'
json\t'One JSON object'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l include-hooks -d 'Analyse Helm hooks too (helm.sh/hook: `helm test` pods, migration jobs), which are otherwise left out of --chart and of rendered streams given with -f'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -l all-contexts -d 'Check every context of the kubeconfig, each cluster in the namespace of -n, every namespace with -A, else its context\'s namespace; one merged report (the check only)'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand reach" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -s f -l filename -d 'Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -s k -l kustomize -d 'Kustomization directory, built with `kustomize build` (or `kubectl kustomize` when kustomize is not on PATH); findings name the file each object came from. Repeatable; mixes with -f' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l chart -d 'Helm chart (directory, packaged chart, or a reference helm resolves) rendered with `helm template` by the helm on PATH, in the -n namespace, as release --release (default: the chart\'s name); findings name the templates' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l values -d 'A values file for --chart (helm\'s -f/--values: here -f reads manifests). Repeatable' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l set -d 'A value for --chart, as helm\'s --set KEY=VALUE. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -s n -l namespace -d 'The namespace of the workloads named (and of manifest objects that name none; default: "default", or the context\'s namespace for a cluster)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l host-network -d 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node\'s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)' -r -f -a "node\t''
pod\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l cilium-policy-mode -d 'Cilium\'s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says' -r -f -a "default\t''
always\t''
never\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod\'s service account)' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l context -d 'The kubeconfig context to use. Repeated, the check (not the other commands) reads each of those clusters and merges their reports' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l request-timeout -d 'How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -s s -l server -d 'The address of the API server (over the kubeconfig\'s)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l certificate-authority -d 'A CA certificate file (PEM) to verify the server\'s certificate with' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate: the connection is not secure' -r -f -a "true\t''
false\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l token -d 'Bearer token for authentication to the API server (over the kubeconfig\'s user)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -s v -l v -d 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l with-cluster -d 'Judge the manifests in the cluster they go into (the kubeconfig\'s, or --context): the policies, namespaces and pods of the namespaces they touch and the cluster-scoped policies, with the manifests applied over them. `optional`: go on without the cluster when it cannot be read. Never writes to the cluster' -r -f -a "required\t'The cluster must be read: failing to is an error (exit 2)'
optional\t'Go on without the cluster when it cannot be read, and say so on stderr'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l release -d 'The Helm release of the manifests (default: their pods\' app.kubernetes.io/instance label): with --with-cluster, its objects in the cluster that the manifests no longer have are removed, as helm upgrade removes them; generated policies are named after it. With --chart, the release name it is rendered as (default: the chart\'s name)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -s l -l selector -d 'Label selector limiting the workloads shown (rows and columns); what they may exchange is still worked out with every workload and policy' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l exclude-namespace -d 'Leave out workloads of namespaces matching this glob (e.g. \'team-*\'); they still count as peers of the rules. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l by -d 'Entries per pair of workloads, or per pair of namespaces' -r -f -a "workload\t'One entry per ordered pair of workloads'
namespace\t'One entry per ordered pair of namespaces: the union of what their workloads may exchange, and how many workload pairs may'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -s o -l output -r -f -a "table\t'A grid: rows send, columns receive'
json\t'One JSON object'
connlist\t'netpol-analyzer\'s connlist: `SRC => DST : CONN`, one line per allowed pair'
dot\t'Graphviz DOT: namespaces are clusters, edges carry the ports'
mermaid\t'A Mermaid flowchart: namespaces are subgraphs'
svg\t'An SVG picture, laid out in-process (no Graphviz needed)'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l include-hooks -d 'Analyse Helm hooks too (helm.sh/hook: `helm test` pods, migration jobs), which are otherwise left out of --chart and of rendered streams given with -f'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l all-contexts -d 'Check every context of the kubeconfig, each cluster in the namespace of -n, every namespace with -A, else its context\'s namespace; one merged report (the check only)'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -s A -l all-namespaces -d 'Every namespace (the default for manifests without -n)'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -l force -d 'Write the workload view even above 2,000 workloads'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand matrix" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -s f -l filename -d 'The new side: manifest file, directory (recursive) or - for stdin. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -s k -l kustomize -d 'Kustomization directory, built with `kustomize build` (or `kubectl kustomize` when kustomize is not on PATH); findings name the file each object came from. Repeatable; mixes with -f' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l chart -d 'Helm chart (directory, packaged chart, or a reference helm resolves) rendered with `helm template` by the helm on PATH, in the -n namespace, as release --release (default: the chart\'s name); findings name the templates' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l values -d 'A values file for --chart (helm\'s -f/--values: here -f reads manifests). Repeatable' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l set -d 'A value for --chart, as helm\'s --set KEY=VALUE. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l base -d 'The base: manifest file, directory or - for stdin. Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l base-ref -d 'The base: the same -f paths at a Git revision (branch, tag, commit), read with git from the repository they are in, without a checkout' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -s n -l namespace -d 'Namespace for objects that do not name one (default: "default"; with --base-cluster, the context\'s namespace)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -s o -l output -r -f -a "table\t'The changes in sentences, grouped, with a summary line'
markdown\t'For a pull-request comment: a summary line, then sections, long lists collapsed'
json\t'The ConnectivityDiff object (docs/report.md)'
sarif\t'SARIF 2.1.0: new openings and newly uncovered workloads at their file and line'
dot\t'Graphviz DOT: opened (blue, solid) and closed (orange, dashed) connections, and what stays allowed between the workloads they touch (grey, dotted)'
mermaid\t'A Mermaid flowchart of the same'
svg\t'An SVG picture of the same, laid out in-process, with a legend'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l fail-on -d 'What makes the exit status 1: `uncovered` (default), `opened`, `any` or `never`' -r -f -a "uncovered\t'A workload loses isolation in a direction, a new workload arrives uncovered, or a new finding at error appears'
opened\t'Those, or any connection the change opens'
any\t'Any change of coverage, connections or findings'
never\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l markdown-limit -d 'With -o markdown: keep the comment within this many bytes (GitHub takes comments of up to 65,536 characters), leaving out the items that do not fit and saying how many; 0 for no limit' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l exclude-namespace -d 'Leave out namespaces matching this glob (e.g. \'team-*\'). Repeatable' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l host-network -d 'hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock holding the node\'s address, as on most CNIs) or `pod` (isolated and matched like any pod, as OVN-Kubernetes and netpol-analyzer assume)' -r -f -a "node\t''
pod\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l cilium-policy-mode -d 'Cilium\'s policy enforcement mode (its enable-policy setting): `default` (pods are default-deny in a direction once a policy asks for it), `always` (every pod, policies or not) or `never` (nothing enforced). Manifests: default unless given; live clusters: overrides what ConfigMap kube-system/cilium-config says' -r -f -a "default\t''
always\t''
never\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod\'s service account)' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l context -d 'The kubeconfig context to use. Repeated, the check (not the other commands) reads each of those clusters and merges their reports' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l request-timeout -d 'How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -s s -l server -d 'The address of the API server (over the kubeconfig\'s)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l certificate-authority -d 'A CA certificate file (PEM) to verify the server\'s certificate with' -r -F
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate: the connection is not secure' -r -f -a "true\t''
false\t''"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l token -d 'Bearer token for authentication to the API server (over the kubeconfig\'s user)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -s v -l v -d 'Log level: 6 or more logs every request (verb, URL, status, time) on stderr' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l with-cluster -d 'Judge the manifests in the cluster they go into (the kubeconfig\'s, or --context): the policies, namespaces and pods of the namespaces they touch and the cluster-scoped policies, with the manifests applied over them. `optional`: go on without the cluster when it cannot be read. Never writes to the cluster' -r -f -a "required\t'The cluster must be read: failing to is an error (exit 2)'
optional\t'Go on without the cluster when it cannot be read, and say so on stderr'"
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l release -d 'The Helm release of the manifests (default: their pods\' app.kubernetes.io/instance label): with --with-cluster, its objects in the cluster that the manifests no longer have are removed, as helm upgrade removes them; generated policies are named after it. With --chart, the release name it is rendered as (default: the chart\'s name)' -r
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l include-hooks -d 'Analyse Helm hooks too (helm.sh/hook: `helm test` pods, migration jobs), which are otherwise left out of --chart and of rendered streams given with -f'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l base-cluster -d 'The base: the cluster of the kubeconfig context now, in the namespaces the new side touches (every namespace with -A); the new side is the cluster with the manifests applied over it, as `kubectl apply` would'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -s A -l all-namespaces -d 'With --base-cluster: read every namespace of the cluster'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l pairs -d 'Also list every workload pair whose connection changed'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l include-system -d 'Include kube-system, kube-public and kube-node-lease'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -l all-contexts -d 'Check every context of the kubeconfig, each cluster in the namespace of -n, every namespace with -A, else its context\'s namespace; one merged report (the check only)'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-netpol_check -n "__fish_kubectl_netpol_check_using_subcommand completion" -s h -l help -d 'Print help'
