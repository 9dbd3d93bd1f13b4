# runtime/swarm
