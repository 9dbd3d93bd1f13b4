# runtime/lp2pd
