from medgraphrag.cli import app

app(prog_name="medgraph")
