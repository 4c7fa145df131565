// Package alibaba imports the Alibaba GPU cluster trace (alibaba/clusterdata,
// cluster-trace-gpu-v2023, the "openb" node and pod lists) as a
// topology.Model: nodes become devices in synthetic racks of RackSize, pods
// become one-instance services to place. Every problem of both files is
// reported at once, each at file:line:col.
package alibaba
