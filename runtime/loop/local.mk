# runtime/loop
