from listenlens.cli import app

app(prog_name="listenlens")
