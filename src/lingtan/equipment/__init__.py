"""Key equipment of the park: the register with efficiency grades (GB 18613 motors, GB 19153
compressors, GB 20052 transformers …), measured efficiency, replacement candidates,
inspection plans and work orders, and public lighting by an astronomical clock."""
